import { signWebhookBody } from '../../src/ingress/signature.js';
import { serialiseLikeMeta, textMessagePayload } from '../../test/support/payloads.js';

export interface SignedWebhook {
  /** The bytes as Meta would send them (non-ASCII escaped), exactly what the signature covers. */
  body: Buffer;
  /** `X-Hub-Signature-256` for `body`. */
  signature: string;
}

export interface WebhookBodySourceOptions {
  appSecret: string;
  /** Distinct customer phone numbers the messages come from. */
  customers: number;
  /** Makes this source's message ids distinct from any other run's. */
  runId: string;
}

export type WebhookBodySource = ReturnType<typeof createWebhookBodySource>;

const profileNames = ['María José Álvarez', 'Chloé Dubois', 'Ahmed Khan', '李伟', 'Zoë Müller', 'Olusegun Adeyemi', 'Priya Nair', 'Jack'];
const messageTexts = [
  'Hi! Is my order #48213 on its way?',
  'Can I change the delivery address to Calle Mayor 12, 3º B, Madrid?',
  'Thanks 🙏 that worked perfectly',
  'Bonjour, je voudrais annuler ma réservation de jeudi soir.',
  'The payment went through twice, can you refund one of them? I attached the receipt in the app.',
  'ok',
  'What are your opening hours on public holidays? 🎄',
  'Ich habe die Größe M bestellt, brauche aber L. Kann ich tauschen?',
  'Hello, I never received the verification code. My number is the one I am writing from.',
  'こんにちは、予約を確認したいです。',
];

/**
 * An endless stream of distinct, validly signed Cloud API text-message webhooks: each has its own
 * wamid (identical bodies would only be deduplicated), comes from one of `customers` numbers with
 * that customer's profile name, and is serialised and signed like Meta does.
 */
export function createWebhookBodySource({ appSecret, customers, runId }: WebhookBodySourceOptions) {
  const key = Buffer.from(appSecret, 'utf8');
  let sequence = 0;

  function next(): SignedWebhook {
    sequence += 1;
    // A stride coprime with most pool sizes spreads consecutive messages over many customers.
    const customer = (sequence * 7_919) % customers;
    const from = phoneNumberOf(customer);
    const payload = textMessagePayload([
      {
        wamid: wamidOf(from, runId, sequence),
        from,
        name: profileNames[customer % profileNames.length],
        body: messageTexts[sequence % messageTexts.length]!,
        timestamp: Math.floor(Date.now() / 1000),
      },
    ]);
    const body = Buffer.from(serialiseLikeMeta(payload), 'utf8');
    return { body, signature: signWebhookBody(key, body) };
  }

  return { next, count: () => sequence };
}

/** Fictional numbers in the E.164 shape Meta sends as wa_id (country code, no "+"). */
function phoneNumberOf(customer: number): string {
  return `4915${String(100_000_000 + customer)}`;
}

/** Shaped like Meta's ids: "wamid." and base64 of an opaque, unique value. */
function wamidOf(from: string, runId: string, sequence: number): string {
  return `wamid.${Buffer.from(`${from}-${runId}-${sequence.toString(16).padStart(12, '0')}`).toString('base64')}`;
}
