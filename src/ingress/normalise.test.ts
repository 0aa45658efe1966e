import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AccountEvent, InboundMessageEvent, IngressEvent, StatusEvent } from './ingress-event.js';
import { normaliseWebhook } from './normalise.js';
import { parseWebhookPayload } from './webhook-schema.js';
import { noteSkippedWhen } from '../../test/support/skip-notice.js';

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const samplesRoot = resolve(repositoryRoot, '../shared/cloud-api/samples');
const javaSamples = join(samplesRoot, 'whatsapp-business-java-api/deserialization');
const jsSamples = join(samplesRoot, 'whatsapp-api-js');
const hasSamples = existsSync(javaSamples) && existsSync(jsSamples);

function parseAndNormalise(json: unknown): IngressEvent[] {
  const result = parseWebhookPayload(json);
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return normaliseWebhook(result.payload);
}

/** `message:<type>`, `status:<status>` or `event:<field>`, one per event in order. */
function summarise(events: readonly IngressEvent[]): string[] {
  return events.map((event) => {
    if (event.kind === 'message') return `message:${event.type}`;
    if (event.kind === 'status') return `status:${event.status}`;
    return `event:${event.field}`;
  });
}

function only<K extends IngressEvent['kind']>(events: readonly IngressEvent[], kind: K): Extract<IngressEvent, { kind: K }> {
  expect(events).toHaveLength(1);
  const [event] = events;
  if (event?.kind !== kind) throw new Error(`expected one ${kind} event`);
  return event as Extract<IngressEvent, { kind: K }>;
}

const expectedSamples: Record<string, string[]> = {
  'whatsapp-business-java-api/deserialization/accountBanned.json': ['event:account_update'],
  'whatsapp-business-java-api/deserialization/accountRestricted.json': ['event:account_update'],
  'whatsapp-business-java-api/deserialization/accountReview.json': ['event:account_review_update'],
  'whatsapp-business-java-api/deserialization/audioMessage.json': ['message:audio'],
  'whatsapp-business-java-api/deserialization/buttonMessage.json': ['message:button'],
  'whatsapp-business-java-api/deserialization/contactMessage.json': ['message:contacts'],
  'whatsapp-business-java-api/deserialization/documentMessage.json': ['message:document'],
  'whatsapp-business-java-api/deserialization/imageMessage.json': ['message:image'],
  'whatsapp-business-java-api/deserialization/locationMessage.json': ['message:location'],
  'whatsapp-business-java-api/deserialization/mediaUploadError.json': ['status:failed'],
  'whatsapp-business-java-api/deserialization/messageDeleted.json': ['message:unsupported'],
  'whatsapp-business-java-api/deserialization/phoneNumberNameUpdate.json': ['event:phone_number_name_update'],
  'whatsapp-business-java-api/deserialization/qualityUpdate.json': ['event:phone_number_quality_update'],
  'whatsapp-business-java-api/deserialization/reEngagementMessageError.json': ['status:failed'],
  'whatsapp-business-java-api/deserialization/reactMessage.json': ['message:reaction'],
  'whatsapp-business-java-api/deserialization/rejectedTemplate.json': ['event:message_template_status_update'],
  'whatsapp-business-java-api/deserialization/stickerMessage.json': ['message:sticker'],
  'whatsapp-business-java-api/deserialization/templateSchedulingForDisabling.json': [
    'event:message_template_status_update',
  ],
  'whatsapp-business-java-api/deserialization/textMessage.json': ['message:text'],
  'whatsapp-business-java-api/deserialization/textMessage2.json': ['message:text'],
  'whatsapp-business-java-api/deserialization/textMessageStatusDelivered.json': ['status:delivered'],
  'whatsapp-business-java-api/deserialization/textMessageStatusSent.json': ['status:sent'],
  'whatsapp-business-java-api/deserialization/verifiedAccount.json': ['event:account_update'],
  'whatsapp-business-java-api/deserialization/videoMessage.json': ['message:video'],
  'whatsapp-api-js/delivered.json': ['status:delivered'],
  'whatsapp-api-js/incoming.json': ['message:text'],
  'whatsapp-api-js/read.json': ['status:read'],
  'whatsapp-api-js/sent.json': ['status:sent'],
};
const invalidJsonSample = 'whatsapp-business-java-api/deserialization/textMessageStatusRead.json';

function readSample(relativePath: string): unknown {
  return JSON.parse(readFileSync(join(samplesRoot, relativePath), 'utf8'));
}

function listEnvelopeSamples(): string[] {
  const found: string[] = [];
  for (const directory of [javaSamples, jsSamples]) {
    for (const name of readdirSync(directory).filter((file) => file.endsWith('.json'))) {
      const relativePath = join(directory, name).slice(samplesRoot.length + 1);
      let json: unknown;
      try {
        json = readSample(relativePath);
      } catch {
        continue; // not JSON: covered by its own test
      }
      if (json !== null && typeof json === 'object' && 'object' in json && 'entry' in json) found.push(relativePath);
    }
  }
  return found.sort();
}

describe.skipIf(!hasSamples)(`public Cloud API samples (${samplesRoot})`, () => {
  it('covers every webhook envelope in the sample directories', () => {
    expect(listEnvelopeSamples()).toEqual(Object.keys(expectedSamples).sort());
  });

  it.each(Object.entries(expectedSamples))('parses and normalises %s', (relativePath, expected) => {
    expect(summarise(parseAndNormalise(readSample(relativePath)))).toEqual(expected);
  });

  it('refuses textMessageStatusRead.json at JSON.parse, as its authors intended', () => {
    expect(() => readSample(invalidJsonSample)).toThrow(SyntaxError);
  });

  it('lifts sender, profile name, wamid and time out of imageMessage.json', () => {
    const event = only(parseAndNormalise(readSample('whatsapp-business-java-api/deserialization/imageMessage.json')), 'message');
    expect(event).toMatchObject({
      wabaId: '880480571844883',
      phoneNumberId: '409552778964973',
      wamid: 'wamid.HBgODE0NDQwANNTTBGRjkUyNzkzNhUCABIYFDNF5NzAzMDkQjBEQ3NjdBA==',
      from: '1111111111111',
      profileName: 'Mauricio Binda',
      type: 'image',
      originalType: 'image',
      timestampMs: 1673032525000,
    });
    expect(event.content).toMatchObject({ type: 'image', image: { id: '8472976218001204', mime_type: 'image/jpeg' } });
    expect(event.content).not.toHaveProperty('from');
    expect(event.content).not.toHaveProperty('id');
    expect(event.content).not.toHaveProperty('timestamp');
  });

  it('keeps business-scoped user ids from incoming.json in content and contact', () => {
    const event = only(parseAndNormalise(readSample('whatsapp-api-js/incoming.json')), 'message');
    expect(event.from).toBe('16315551181');
    expect(event.content).toMatchObject({
      from_user_id: 'US.13491208655302741918',
      from_parent_user_id: 'US.11815799212886844830',
      contact: { user_id: 'US.13491208655302741918', profile: { username: '@testusername' } },
    });
  });

  it('keeps a failed status error in details (mediaUploadError.json)', () => {
    const event = only(parseAndNormalise(readSample('whatsapp-business-java-api/deserialization/mediaUploadError.json')), 'status');
    expect(event).toMatchObject({ recipientId: '1111111111111', timestampMs: 1677783372000 });
    expect(event.details).toMatchObject({ errors: [{ code: 131053 }] });
  });

  it('keeps the unsupported marker and its errors (messageDeleted.json)', () => {
    const event = only(parseAndNormalise(readSample('whatsapp-business-java-api/deserialization/messageDeleted.json')), 'message');
    expect(event.originalType).toBe('unsupported');
    expect(event.content).toMatchObject({ errors: [{ code: 131051 }] });
  });
});

noteSkippedWhen(!hasSamples, 'public Cloud API samples', `skipped: no samples at ${samplesRoot} (needs ../shared/cloud-api/samples beside the repository)`);

// -----------------------------------------------------------------------------------------------

function envelope(changes: unknown[]): Record<string, unknown> {
  return { object: 'whatsapp_business_account', entry: [{ id: 'waba-1', time: 1700000001, changes }] };
}

const metadata = { display_phone_number: '15550001111', phone_number_id: 'pn-1' };

function messagesChange(value: Record<string, unknown>): Record<string, unknown> {
  return { field: 'messages', value: { messaging_product: 'whatsapp', metadata, ...value } };
}

describe('normaliseWebhook', () => {
  it('keeps an unknown message type as unsupported with every key preserved', () => {
    const message = {
      from: '15550002222',
      id: 'wamid.P',
      timestamp: '1700000000',
      type: 'poll_creation',
      poll_creation: { question: 'Lunch?', options: ['a', 'b'] },
      future_key: { deep: [1] },
    };
    const event = only(parseAndNormalise(envelope([messagesChange({ messages: [message] })])), 'message');
    expect(event.type).toBe('unsupported');
    expect(event.originalType).toBe('poll_creation');
    expect(event.content).toEqual({
      type: 'poll_creation',
      poll_creation: { question: 'Lunch?', options: ['a', 'b'] },
      future_key: { deep: [1] },
    });
  });

  it("treats Meta's legacy 'unknown' type as unsupported", () => {
    const message = { from: '1', id: 'w', timestamp: '1', type: 'unknown', errors: [{ code: 131051, title: 't' }] };
    const event = only(parseAndNormalise(envelope([messagesChange({ messages: [message] })])), 'message');
    expect([event.type, event.originalType]).toEqual(['unsupported', 'unknown']);
  });

  it('keeps an unknown field as an account event with its value intact', () => {
    const value = { something_new: { a: [1, { b: 'c' }] } };
    const event = only(parseAndNormalise(envelope([{ field: 'future_field', value }])), 'event');
    expect(event).toEqual({ kind: 'event', wabaId: 'waba-1', field: 'future_field', contactWaId: null, value });
  });

  it('keeps unknown keys of known messages and statuses', () => {
    const events = parseAndNormalise(
      envelope([
        messagesChange({
          messages: [
            {
              from: '1',
              id: 'w1',
              timestamp: '1',
              type: 'text',
              text: { body: 'hi', future_text: true },
              future_message: 'x',
            },
          ],
          statuses: [{ id: 'w2', status: 'deleted', timestamp: 2, recipient_id: '1', future_status: 'y' }],
        }),
      ]),
    );
    const [message, status] = events as [InboundMessageEvent, StatusEvent];
    expect(message.content).toEqual({ type: 'text', text: { body: 'hi', future_text: true }, future_message: 'x' });
    expect(status).toEqual({
      kind: 'status',
      wabaId: 'waba-1',
      phoneNumberId: 'pn-1',
      wamid: 'w2',
      status: 'deleted',
      recipientId: '1',
      timestampMs: 2000,
      details: { future_status: 'y' },
    });
  });

  it('attaches only the matching contact to each message', () => {
    const events = parseAndNormalise(
      envelope([
        messagesChange({
          contacts: [
            { profile: { name: 'Ann' }, wa_id: '111' },
            { profile: { name: 'Bob' }, wa_id: '222' },
          ],
          messages: [
            { from: '222', id: 'w1', timestamp: '5', type: 'text', text: { body: 'b' } },
            { from: '333', id: 'w2', timestamp: '6', type: 'text', text: { body: 'c' } },
          ],
        }),
      ]),
    ) as InboundMessageEvent[];
    expect(events.map((event) => event.profileName)).toEqual(['Bob', null]);
    expect(events[0]?.content['contact']).toEqual({ profile: { name: 'Bob' }, wa_id: '222' });
    expect(events[1]?.content).not.toHaveProperty('contact');
  });

  it('uses the business-scoped user id when a message has no wa_id', () => {
    const events = parseAndNormalise(
      envelope([
        messagesChange({
          contacts: [{ profile: { name: 'Ann' }, user_id: 'US.1' }],
          messages: [{ from_user_id: 'US.1', id: 'w1', timestamp: '5', type: 'text', text: { body: 'b' } }],
          statuses: [{ id: 'w0', status: 'read', timestamp: '4', recipient_user_id: 'US.1' }],
        }),
      ]),
    );
    expect(events[0]).toMatchObject({ kind: 'message', from: 'US.1', profileName: 'Ann' });
    expect(events[1]).toMatchObject({ kind: 'status', recipientId: 'US.1' });
  });

  it('turns a messages value holding only errors into a messages.errors event', () => {
    const errors = [{ code: 131000, title: 'Something went wrong', message: 'm', error_data: { details: 'd' } }];
    const event = only(parseAndNormalise(envelope([messagesChange({ errors })])), 'event');
    expect(event).toEqual({
      kind: 'event',
      wabaId: 'waba-1',
      field: 'messages.errors',
      contactWaId: null,
      value: { messaging_product: 'whatsapp', metadata, errors },
    });
  });

  it('keeps customer records out of a messages.errors event that travels beside messages', () => {
    const events = parseAndNormalise(
      envelope([
        messagesChange({
          contacts: [{ profile: { name: 'Ann' }, wa_id: '111' }],
          messages: [{ from: '111', id: 'w1', timestamp: '5', type: 'text', text: { body: 'b' } }],
          errors: [{ code: 1, title: 't' }],
        }),
      ]),
    );
    expect(summarise(events)).toEqual(['message:text', 'event:messages.errors']);
    expect(Object.keys((events[1] as AccountEvent).value).sort()).toEqual(['errors', 'messaging_product', 'metadata']);
  });

  it('does not drop a messages value that carries nothing it recognises', () => {
    const event = only(parseAndNormalise(envelope([messagesChange({ future_list: [1] })])), 'event');
    expect(event).toMatchObject({ field: 'messages', value: { future_list: [1] } });
  });

  it('keeps keys Meta adds beside messages as a messages.extra event, without the customer records', () => {
    const events = parseAndNormalise(
      envelope([
        messagesChange({
          contacts: [{ profile: { name: 'Ann' }, wa_id: '111' }],
          messages: [{ from: '111', id: 'w1', timestamp: '5', type: 'text', text: { body: 'b' } }],
          future_list: [1],
        }),
      ]),
    );
    expect(summarise(events)).toEqual(['message:text', 'event:messages.extra']);
    expect((events[1] as AccountEvent).value).toEqual({ future_list: [1], metadata });
  });

  it('adds no messages.extra event when nothing unknown travels beside the messages', () => {
    const events = parseAndNormalise(
      envelope([messagesChange({ messages: [{ from: '111', id: 'w1', timestamp: '5', type: 'text', text: { body: 'b' } }] })]),
    );
    expect(summarise(events)).toEqual(['message:text']);
  });

  it('splits user_preferences into one event per user, each with only its own contact', () => {
    const value = {
      messaging_product: 'whatsapp',
      metadata,
      contacts: [
        { profile: { name: 'Ann' }, wa_id: '111' },
        { profile: { name: 'Bob' }, wa_id: '222' },
      ],
      user_preferences: [
        { wa_id: '111', detail: 'd', category: 'marketing_messages', value: 'stop', timestamp: 1700000000 },
        { wa_id: '222', detail: 'd', category: 'marketing_messages', value: 'resume', timestamp: '1700000001' },
      ],
    };
    const events = parseAndNormalise(envelope([{ field: 'user_preferences', value }])) as AccountEvent[];
    expect(events.map((event) => [event.field, event.contactWaId])).toEqual([
      ['user_preferences', '111'],
      ['user_preferences', '222'],
    ]);
    expect(events[1]?.value).toEqual({
      messaging_product: 'whatsapp',
      metadata,
      contacts: [{ profile: { name: 'Bob' }, wa_id: '222' }],
      user_preferences: [value.user_preferences[1]],
    });
    expect(JSON.stringify(events[0]?.value)).not.toContain('Bob');
  });

  it('flattens several entries and changes in payload order', () => {
    const json = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'waba-1',
          changes: [
            messagesChange({ statuses: [{ id: 's1', status: 'sent', timestamp: '1' }] }),
            { field: 'account_review_update', value: { decision: 'APPROVED' } },
          ],
        },
        {
          id: 'waba-2',
          changes: [messagesChange({ messages: [{ from: '1', id: 'm1', timestamp: '2', type: 'request_welcome' }] })],
        },
      ],
    };
    const events = parseAndNormalise(json);
    expect(summarise(events)).toEqual(['status:sent', 'event:account_review_update', 'message:request_welcome']);
    expect(events.map((event) => event.wabaId)).toEqual(['waba-1', 'waba-1', 'waba-2']);
    expect(events[0]).toMatchObject({ recipientId: null, details: {} });
  });

  it('converts second timestamps to milliseconds, from strings and numbers alike', () => {
    const events = parseAndNormalise(
      envelope([
        messagesChange({
          messages: [
            { from: '1', id: 'a', timestamp: '1700000000', type: 'text', text: { body: 'x' } },
            { from: '1', id: 'b', timestamp: 1700000001, type: 'text', text: { body: 'y' } },
          ],
        }),
      ]),
    ) as InboundMessageEvent[];
    expect(events.map((event) => event.timestampMs)).toEqual([1_700_000_000_000, 1_700_000_001_000]);
  });
});
