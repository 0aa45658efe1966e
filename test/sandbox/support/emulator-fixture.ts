import type { Clock } from '../../../src/clock.js';
import { createCloudApiEmulator } from '../../../src/sandbox/cloud-api-emulator.js';
import type { CloudApiEmulator, CloudApiEmulatorOptions } from '../../../src/sandbox/cloud-api-emulator.js';

export const ACCESS_TOKEN = 'sandbox-test-access-token-0123456789';
export const PHONE_NUMBER_ID = '106540352242922';
export const WABA_ID = '102290129340398';
export const VERSION = 'v23.0';

export interface ManualClock extends Clock {
  advance(ms: number): void;
}

export function createManualClock(start = Date.UTC(2026, 0, 15, 12)): ManualClock {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

/** Delays scaled down so a test file runs in well under a second of waiting. */
export const fastTiming = {
  statusDelaysMs: { sent: 5, delivered: 10, read: 15 },
  webhookRetry: { delaysMs: [0, 20, 20], thenEveryMs: 40, giveUpAfterMs: 400 },
  templateReviewDelayMs: 20,
} satisfies CloudApiEmulatorOptions;

export interface GraphAnswer {
  status: number;
  body: Record<string, unknown> & { error?: { code: number; message: string; type: string; error_data: { details: string }; fbtrace_id: string } };
}

export interface TestEmulator {
  emulator: CloudApiEmulator;
  /** Any Graph path, with the right token unless another (or null) is given. */
  graph(method: 'GET' | 'POST' | 'DELETE', path: string, payload?: unknown, token?: string | null): Promise<GraphAnswer>;
  send(message: Record<string, unknown>): Promise<GraphAnswer>;
  control(method: 'GET' | 'POST' | 'DELETE', path: string, payload?: unknown, token?: string | null): Promise<GraphAnswer>;
}

export async function createTestEmulator(options: CloudApiEmulatorOptions & { clock?: Clock } = {}): Promise<TestEmulator> {
  const emulator = await createCloudApiEmulator({ accessToken: ACCESS_TOKEN, ...fastTiming, ...options });
  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload: unknown, token: string | null) => {
    const response = await emulator.app.inject({
      method,
      url,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: response.statusCode, body: response.body === '' ? {} : (JSON.parse(response.body) as GraphAnswer['body']) };
  };
  return {
    emulator,
    graph: (method, path, payload, token = ACCESS_TOKEN) => call(method, path, payload, token),
    send: (message) => call('POST', `/${VERSION}/${PHONE_NUMBER_ID}/messages`, { messaging_product: 'whatsapp', ...message }, ACCESS_TOKEN),
    control: (method, path, payload, token = emulator.controlToken) => call(method, path, payload, token),
  };
}

export function textTo(to: string, body = 'hello'): Record<string, unknown> {
  return { to, type: 'text', text: { body } };
}

export function templateTo(to: string, name = 'hello_world', parameters: string[] = []): Record<string, unknown> {
  const components = parameters.length === 0 ? [] : [{ type: 'body', parameters: parameters.map((text) => ({ type: 'text', text })) }];
  return { to, type: 'template', template: { name, language: { code: 'en_US' }, components } };
}

export function wamidOf(answer: GraphAnswer): string {
  const messages = answer.body.messages as { id: string }[] | undefined;
  if (!messages?.[0]) throw new Error(`no wamid in ${JSON.stringify(answer.body)}`);
  return messages[0].id;
}
