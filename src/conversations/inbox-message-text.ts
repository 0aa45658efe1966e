/**
 * What a thread shows of one message: its text (customer data, only ever produced after the
 * message was decrypted under an audit entry) and a short summary of its kind. The decrypted
 * content is read defensively: Meta adds fields and types, and an odd shape yields a summary, never
 * an error.
 */
export interface MessageText {
  text: string | null;
  summary: string;
}

const summaries: Record<string, string> = {
  text: 'Text',
  image: 'Image',
  video: 'Video',
  audio: 'Audio',
  document: 'Document',
  sticker: 'Sticker',
  location: 'Location',
  contacts: 'Contact card',
  interactive: 'Interactive message',
  button: 'Button reply',
  reaction: 'Reaction',
  order: 'Order',
  system: 'System message',
  edit: 'Edited message',
  revoke: 'Deleted message',
  request_welcome: 'Opened the chat',
  template: 'Template',
  unsupported: 'Unsupported message',
};

const captionedTypes = new Set(['image', 'video', 'document', 'audio', 'sticker']);

/** A message the customer sent: the `message` inside the sealed `{ wamid, message }` of the messages table. */
export function describeInboundMessage(type: string, message: unknown): MessageText {
  const content = asRecord(message);
  const part = asRecord(content[type]);
  if (type === 'text') return { text: stringOf(part.body), summary: summaries.text! };
  if (captionedTypes.has(type)) return { text: stringOf(part.caption), summary: summaries[type]! };
  if (type === 'interactive') return describeInteractiveReply(part);
  if (type === 'button') return { text: stringOf(part.text), summary: summaries.button! };
  if (type === 'reaction') return { text: stringOf(part.emoji), summary: summaries.reaction! };
  if (type === 'order') return { text: stringOf(part.text), summary: summaries.order! };
  if (type === 'system') return { text: stringOf(part.body), summary: summaries.system! };
  return { text: null, summary: summaryOf(type) };
}

/** A message the business sent: the Graph API body as stored in outbound_messages (without the recipient). */
export function describeOutboundMessage(type: string, message: unknown): MessageText {
  const content = asRecord(message);
  const part = asRecord(content[type]);
  if (type === 'text') return { text: stringOf(part.body), summary: summaries.text! };
  if (type === 'template') {
    const name = stringOf(part.name);
    const summary = name === null ? summaries.template! : `Template: ${name}`;
    return { text: summary, summary };
  }
  if (type === 'interactive') return { text: stringOf(asRecord(part.body).text), summary: summaries.interactive! };
  if (captionedTypes.has(type)) return { text: stringOf(part.caption), summary: summaries[type]! };
  if (type === 'reaction') return { text: stringOf(part.emoji), summary: summaries.reaction! };
  return { text: null, summary: summaryOf(type) };
}

function describeInteractiveReply(interactive: Record<string, unknown>): MessageText {
  const kind = stringOf(interactive.type);
  if (kind === 'button_reply') return { text: stringOf(asRecord(interactive.button_reply).title), summary: 'Button reply' };
  if (kind === 'list_reply') return { text: stringOf(asRecord(interactive.list_reply).title), summary: 'List reply' };
  if (kind === 'nfm_reply') return { text: stringOf(asRecord(interactive.nfm_reply).body), summary: 'Form reply' };
  return { text: null, summary: summaries.interactive! };
}

function summaryOf(type: string): string {
  return summaries[type] ?? 'Message';
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function stringOf(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}
