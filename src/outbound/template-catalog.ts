import type { Clock } from '../clock.js';
import type { GraphTemplate } from './graph-client.js';

export interface TemplateInfo {
  category: string;
  status: string;
}

/**
 * The business account's templates as Meta lists them, cached for a few minutes. Answers null when
 * the list cannot be had (no account id configured, Graph API unreachable): callers then fail safe.
 */
export function createTemplateCatalog({
  listTemplates,
  clock,
  maxAgeMs = 5 * 60_000,
}: {
  listTemplates: (() => Promise<GraphTemplate[] | null>) | null;
  clock: Clock;
  maxAgeMs?: number;
}) {
  let cached: { at: number; byKey: Map<string, TemplateInfo> } | null = null;
  let inFlight: Promise<void> | null = null;

  async function refresh(): Promise<void> {
    const templates = await listTemplates!().catch(() => null);
    if (templates) cached = { at: clock.now(), byKey: new Map(templates.map((template) => [keyOf(template.name, template.language), template])) };
  }

  /** The template's category and status, or null when unknown or the catalog is unavailable. */
  async function findTemplate(name: string, language: string): Promise<TemplateInfo | null> {
    if (!listTemplates) return null;
    if (!cached || clock.now() - cached.at > maxAgeMs || !cached.byKey.has(keyOf(name, language))) {
      inFlight ??= refresh().finally(() => {
        inFlight = null;
      });
      await inFlight;
    }
    return cached?.byKey.get(keyOf(name, language)) ?? null;
  }

  return { findTemplate, isAvailable: () => listTemplates !== null };
}

export type TemplateCatalog = ReturnType<typeof createTemplateCatalog>;

function keyOf(name: string, language: string): string {
  return `${name}\0${language}`;
}
