import { randomUUID } from 'node:crypto';

/** Builders for Cloud API webhook bodies, as Meta sends them. */

export interface TextMessageInput {
  wamid: string;
  from: string;
  name?: string;
  body: string;
  timestamp?: number;
}

export function textMessagePayload(messages: TextMessageInput[], phoneNumberId = '106540352242922'): object {
  return messagesWebhook(phoneNumberId, {
    contacts: messages.map((message) => ({ profile: { name: message.name ?? 'Customer' }, wa_id: message.from })),
    messages: messages.map((message) => ({
      from: message.from,
      id: message.wamid,
      timestamp: String(message.timestamp ?? 1_700_000_000),
      type: 'text',
      text: { body: message.body },
    })),
  });
}

export function statusPayload(statuses: { wamid: string; status: string; recipient: string; timestamp?: number }[]): object {
  return messagesWebhook('106540352242922', {
    statuses: statuses.map((status) => ({
      id: status.wamid,
      status: status.status,
      timestamp: String(status.timestamp ?? 1_700_000_000),
      recipient_id: status.recipient,
    })),
  });
}

/** The envelope of a `messages` change for one business number. */
function messagesWebhook(phoneNumberId: string, value: object): object {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

/**
 * JSON as Meta serialises it: every non-ASCII character escaped as lowercase \uXXXX (emoji as
 * surrogate pairs) and "/" as "\/". The signature covers exactly these bytes.
 */
export function serialiseLikeMeta(value: unknown): string {
  return JSON.stringify(value)
    .replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/');
}

/** A text message with a fresh wamid, serialised as Meta sends it. */
export function newTextMessage(from = '15551234567'): { wamid: string; body: string } {
  const wamid = `wamid.${randomUUID()}`;
  return { wamid, body: serialiseLikeMeta(textMessagePayload([{ wamid, from, body: 'hello' }])) };
}
