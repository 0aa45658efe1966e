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
 * One CSV cell. A cell a spreadsheet would evaluate (leading = + - @, tab or carriage return) gets
 * a leading apostrophe, so `=HYPERLINK(…)` from a customer is shown as text; then quoting per RFC 4180.
 */
export function toCsvCell(value: string): string {
  const inert = value.length > 0 && FORMULA_TRIGGERS.has(value[0]!) ? `'${value}` : value;
  return /[",\r\n]/.test(inert) ? `"${inert.replaceAll('"', '""')}"` : inert;
}
