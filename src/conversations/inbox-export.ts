import type { ContactIdentity, ConversationSummary, ThreadMessage } from './inbox-schemas.js';

/** A whole conversation, decrypted for an export (produced only inside its audited access). */
export interface ConversationExport {
  exportedAt: number;
  conversation: ConversationSummary;
  contact: ContactIdentity;
  messages: ThreadMessage[];
}

export type ExportFormat = 'json' | 'csv';

export interface RenderedExport {
  body: string;
  contentType: string;
  fileName: string;
}

const CSV_COLUMNS = ['conversation', 'contact_name', 'contact_phone', 'sent_at', 'direction', 'type', 'status', 'sent_by', 'summary', 'text'] as const;
/** Spreadsheets read a cell starting with one of these as a formula (OWASP: CSV injection). */
const FORMULA_TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r']);
/** What a spreadsheet may skip before it looks for a formula: spaces of any kind and control characters. */
const SKIPPED_PREFIX = /^[\s\u0000-\u001f\u007f\u200b\ufeff]+/;
/** Separators some locales' spreadsheets split on (`;` in German Excel) besides RFC 4180's own. */
const NEEDS_QUOTES = /[",;\r\n]/;

export function renderConversationExport(exported: ConversationExport, format: ExportFormat): RenderedExport {
  const fileName = `conversation-${exported.conversation.pseudonym}.${format}`;
  if (format === 'json') return { body: JSON.stringify(exported, null, 2), contentType: 'application/json; charset=utf-8', fileName };
  return { body: renderCsv(exported), contentType: 'text/csv; charset=utf-8', fileName };
}

/** RFC 4180 (CRLF, every cell quoted when it needs to be), one row per message, a byte-order mark so spreadsheets read UTF-8. */
function renderCsv({ conversation, contact, messages }: ConversationExport): string {
  const rows = messages.map((message) => [
    conversation.pseudonym,
    contact.name ?? '',
    contact.phone,
    new Date(message.sentAt).toISOString(),
    message.direction,
    message.type,
    message.status ?? '',
    message.sentBy?.label ?? '',
    message.summary,
    message.text ?? '',
  ]);
  return `\uFEFF${[CSV_COLUMNS, ...rows].map((row) => row.map(toCsvCell).join(',')).join('\r\n')}\r\n`;
}

/**
 * One CSV cell. A cell a spreadsheet could evaluate (= + - @ tab or carriage return first, also after
 * leading spaces or control characters) gets a leading apostrophe, so `=HYPERLINK(…)` from a
 * customer is shown as text; then quoting per RFC 4180, and around `;` for locales that split on it.
 */
export function toCsvCell(value: string): string {
  const first = value[0];
  const firstVisible = value.replace(SKIPPED_PREFIX, '')[0];
  const isFormulaLike = (first !== undefined && FORMULA_TRIGGERS.has(first)) || (firstVisible !== undefined && FORMULA_TRIGGERS.has(firstVisible));
  const inert = isFormulaLike ? `'${value}` : value;
  return NEEDS_QUOTES.test(inert) ? `"${inert.replaceAll('"', '""')}"` : inert;
}
