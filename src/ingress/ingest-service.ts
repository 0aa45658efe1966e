import type { StoreResult } from '../conversations/event-store.js';
import type { GroupCommitWriter } from '../db/group-commit-writer.js';
import type { IngressEvent } from './ingress-event.js';

/** Hands one webhook's events to the group-commit writer; resolves once they are durably stored. */
export function createIngestService({ writer }: { writer: GroupCommitWriter<readonly IngressEvent[], StoreResult> }) {
  async function ingest(events: readonly IngressEvent[]): Promise<StoreResult> {
    if (events.length === 0) return { stored: 0, duplicates: 0 };
    return writer.submit(events);
  }
  return { ingest, queueDepth: () => writer.queueDepth() };
}

export type IngestService = ReturnType<typeof createIngestService>;
