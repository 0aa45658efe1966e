import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { measureJsonDepth } from './json-depth.js';
import { isMessageOfType, parseWebhookPayload } from './webhook-schema.js';

const canaryPhone = '+4915112345678';
const canaryText = 'SECRET-CANARY';
const canaries = [canaryPhone, canaryPhone.slice(1), canaryText];

function envelope(changes: unknown[]): Record<string, unknown> {
  return { object: 'whatsapp_business_account', entry: [{ id: 'waba-1', changes }] };
}

function messagesChange(value: Record<string, unknown>): Record<string, unknown> {
  return {
    field: 'messages',
    value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550001111', phone_number_id: 'pn-1' },
      ...value,
    },
  };
}

function inbound(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { from: '15550002222', id: 'wamid.A', timestamp: '1700000000', type: 'text', text: { body: 'hi' }, ...overrides };
}

function payloadWithMessages(...messages: unknown[]): Record<string, unknown> {
  return envelope([messagesChange({ messages })]);
}

function reasonOf(json: unknown): string {
  const result = parseWebhookPayload(json);
  if (result.ok) throw new Error('expected the payload to be refused');
  return result.reason;
}

const messagePath = 'entry[0].changes[0].value.messages';

describe('parseWebhookPayload refusals', () => {
  const cases: { name: string; payload: unknown; expected: string }[] = [
    {
      name: 'a body that is not an object',
      payload: `${canaryText} ${canaryPhone}`,
      expected: 'payload: expected object',
    },
    {
      name: 'a foreign object type',
      payload: { object: canaryText, entry: [] },
      expected: 'object: expected "whatsapp_business_account"',
    },
    {
      name: 'a missing entry',
      payload: { object: 'whatsapp_business_account', note: canaryText },
      expected: 'entry: expected array',
    },
    {
      name: 'an entry that is not an array',
      payload: { object: 'whatsapp_business_account', entry: `${canaryText} ${canaryPhone}` },
      expected: 'entry: expected array',
    },
    {
      name: 'missing changes',
      payload: { object: 'whatsapp_business_account', entry: [{ id: canaryPhone }] },
      expected: 'entry[0].changes: expected array',
    },
    {
      name: 'a messages item without id',
      payload: payloadWithMessages(inbound(), { ...inbound({ from: canaryPhone, text: { body: canaryText } }), id: undefined }),
      expected: `${messagePath}[1].id: expected string`,
    },
    {
      name: 'a text message whose body is a number',
      payload: payloadWithMessages(inbound({ from: canaryPhone, text: { body: Number(canaryPhone.slice(1)) } })),
      expected: `${messagePath}[0].text.body: expected string`,
    },
    {
      name: 'a text message without its text object',
      payload: payloadWithMessages(inbound({ from: canaryPhone, text: undefined, caption: canaryText })),
      expected: `${messagePath}[0].text: expected object`,
    },
    {
      name: "a timestamp of 'abc'",
      payload: payloadWithMessages(inbound({ from: canaryPhone, timestamp: 'abc' })),
      expected: `${messagePath}[0].timestamp: expected unix seconds`,
    },
    {
      name: 'a timestamp carrying a canary',
      payload: payloadWithMessages(inbound({ timestamp: canaryPhone })),
      expected: `${messagePath}[0].timestamp: expected unix seconds`,
    },
    {
      name: 'a message with neither from nor from_user_id',
      payload: payloadWithMessages(inbound({ from: undefined, text: { body: canaryText } })),
      expected: `${messagePath}[0].from: expected from or from_user_id`,
    },
    {
      name: 'a status without id',
      payload: envelope([
        messagesChange({ statuses: [{ status: 'sent', timestamp: '1700000000', recipient_id: canaryPhone }] }),
      ]),
      expected: 'entry[0].changes[0].value.statuses[0].id: expected string',
    },
    {
      name: 'a status whose status is not a string',
      payload: envelope([messagesChange({ statuses: [{ id: 'wamid.B', status: 7, timestamp: '1700000000' }] })]),
      expected: 'entry[0].changes[0].value.statuses[0].status: expected string',
    },
    {
      name: 'an unknown field whose value is not an object',
      payload: envelope([{ field: 'future_field', value: canaryText }]),
      expected: 'entry[0].changes[0].value: expected object',
    },
    {
      name: 'a user preference that is neither stop nor resume',
      payload: envelope([
        {
          field: 'user_preferences',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '1', phone_number_id: 'pn-1' },
            user_preferences: [{ wa_id: canaryPhone, category: 'marketing_messages', value: canaryText, timestamp: 1 }],
          },
        },
      ]),
      expected: 'entry[0].changes[0].value.user_preferences[0].value: expected "stop" or "resume"',
    },
    {
      name: 'a template status update without event',
      payload: envelope([
        {
          field: 'message_template_status_update',
          value: { message_template_id: 1, message_template_name: canaryText, message_template_language: 'en' },
        },
      ]),
      expected: 'entry[0].changes[0].value.event: expected string',
    },
  ];

  it.each(cases)('refuses $name, naming the path and no input value', ({ payload, expected }) => {
    const reason = reasonOf(payload);
    expect(reason).toContain(expected);
    for (const canary of canaries) expect(reason).not.toContain(canary);
  });

  it('reports at most five problems and counts the rest', () => {
    const broken = Array.from({ length: 8 }, (_, index) => inbound({ id: index, from: canaryPhone }));
    const reason = reasonOf(payloadWithMessages(...broken));
    expect(reason.split('; ')).toHaveLength(6);
    expect(reason).toContain(`${messagePath}[4].id: expected string`);
    expect(reason).not.toContain(`${messagePath}[5].id`);
    expect(reason).toMatch(/and 3 more problems$/);
  });

  const sanity: { name: string; timestamp: unknown }[] = [
    { name: 'milliseconds instead of seconds', timestamp: '1700000000000' },
    { name: 'exponent notation', timestamp: '1e9' },
    { name: 'a negative number', timestamp: -5 },
    { name: 'a fraction', timestamp: 1700000000.5 },
    { name: 'an empty string', timestamp: '' },
  ];
  it.each(sanity)('refuses a timestamp that is $name', ({ timestamp }) => {
    expect(reasonOf(payloadWithMessages(inbound({ timestamp })))).toContain(`${messagePath}[0].timestamp`);
  });
});

describe('parseWebhookPayload acceptance', () => {
  it('accepts a numeric timestamp as well as a string of digits', () => {
    expect(parseWebhookPayload(payloadWithMessages(inbound({ timestamp: 1700000000 }))).ok).toBe(true);
  });

  const validMessages: { type: string; body: Record<string, unknown> }[] = [
    { type: 'text', body: { text: { body: 'hello' } } },
    { type: 'image', body: { image: { id: 'm1', mime_type: 'image/jpeg', sha256: 'abc', caption: 'c' } } },
    { type: 'audio', body: { audio: { id: 'm1', mime_type: 'audio/ogg', sha256: 'abc', voice: true } } },
    { type: 'document', body: { document: { id: 'm1', mime_type: 'application/pdf', sha256: 'a', filename: 'f.pdf' } } },
    { type: 'sticker', body: { sticker: { id: 'm1', mime_type: 'image/webp', sha256: 'a', animated: false } } },
    { type: 'video', body: { video: { id: 'm1', mime_type: 'video/mp4', sha256: 'a' } } },
    { type: 'location', body: { location: { latitude: 52.5, longitude: 13.4, name: 'n', address: 'a' } } },
    {
      type: 'contacts',
      body: {
        contacts: [
          {
            name: { formatted_name: 'A B', first_name: 'A', last_name: 'B' },
            phones: [{ phone: '+1 555', wa_id: '1555', type: 'CELL' }],
            emails: [{ email: 'a@example.com', type: 'WORK' }],
            addresses: [{ street: 's', city: 'c', zip: 'z', country: 'DE', country_code: 'de', type: 'HOME' }],
            org: { company: 'Co', department: 'D', title: 'T' },
            urls: [{ url: 'https://example.com', type: 'WORK' }],
            birthday: '2000-01-01',
          },
        ],
      },
    },
    { type: 'interactive', body: { interactive: { type: 'button_reply', button_reply: { id: 'b', title: 'Yes' } } } },
    {
      type: 'interactive',
      body: { interactive: { type: 'list_reply', list_reply: { id: 'r', title: 'Row', description: 'd' } } },
    },
    {
      type: 'interactive',
      body: { interactive: { type: 'nfm_reply', nfm_reply: { response_json: '{}', body: 'Sent', name: 'flow' } } },
    },
    { type: 'interactive', body: { interactive: { type: 'future_reply', future_reply: { x: 1 } } } },
    { type: 'button', body: { button: { payload: 'YES', text: 'Yes' } } },
    { type: 'reaction', body: { reaction: { message_id: 'wamid.X', emoji: '' } } },
    {
      type: 'order',
      body: {
        order: {
          catalog_id: 'c',
          text: 'note',
          product_items: [{ product_retailer_id: 'sku', quantity: 2, item_price: 9.5, currency: 'EUR' }],
        },
      },
    },
    { type: 'system', body: { system: { body: 'changed', type: 'user_changed_number', wa_id: '1555' } } },
    { type: 'edit', body: { edit: { original_message_id: 'wamid.O', message: { type: 'text', text: { body: 'x' } } } } },
    { type: 'revoke', body: { revoke: { original_message_id: 'wamid.O' } } },
    { type: 'request_welcome', body: {} },
    {
      type: 'unsupported',
      body: { unsupported: { type: 'poll_creation' }, errors: [{ code: 131051, title: 'Message type unknown' }] },
    },
    { type: 'poll_creation', body: { poll_creation: { question: 'q' } } },
    { type: 'constructor', body: {} },
  ];
  it.each(validMessages)('accepts a well-formed $type message', ({ type, body }) => {
    const result = parseWebhookPayload(payloadWithMessages({ ...inbound({ text: undefined }), type, ...body }));
    expect(result.ok ? 'ok' : result.reason).toBe('ok');
  });

  const malformedMessages: { name: string; body: Record<string, unknown>; path: string }[] = [
    {
      name: 'a button reply whose id is a number',
      body: { type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 1, title: 'Yes' } } },
      path: 'interactive.button_reply.id',
    },
    {
      name: 'an nfm reply without response_json',
      body: { type: 'interactive', interactive: { type: 'nfm_reply', nfm_reply: { body: 'Sent' } } },
      path: 'interactive.nfm_reply.response_json',
    },
    {
      name: 'an order whose quantity is not a number',
      body: {
        type: 'order',
        order: { catalog_id: 'c', product_items: [{ product_retailer_id: 's', quantity: 'x', item_price: 1, currency: 'EUR' }] },
      },
      path: 'order.product_items[0].quantity',
    },
    {
      name: 'a location whose latitude is a string',
      body: { type: 'location', location: { latitude: '52.5', longitude: 13.4 } },
      path: 'location.latitude',
    },
    {
      name: 'a reaction without message_id',
      body: { type: 'reaction', reaction: { emoji: 'x' } },
      path: 'reaction.message_id',
    },
    {
      name: 'an image without media id',
      body: { type: 'image', image: { mime_type: 'image/jpeg', sha256: 'a' } },
      path: 'image.id',
    },
    {
      name: 'a contact card without name',
      body: { type: 'contacts', contacts: [{ phones: [] }] },
      path: 'contacts[0].name',
    },
    {
      name: 'an edit without original_message_id',
      body: { type: 'edit', edit: { message: { type: 'text' } } },
      path: 'edit.original_message_id',
    },
  ];
  it.each(malformedMessages)('refuses $name', ({ body, path }) => {
    expect(reasonOf(payloadWithMessages({ ...inbound({ text: undefined }), ...body }))).toContain(
      `${messagePath}[0].${path}: expected`,
    );
  });

  it('accepts an unknown field with any object value and keeps its unknown keys', () => {
    const value = { anything: { nested: [1, 'two'] }, more: true };
    const result = parseWebhookPayload(envelope([{ field: 'future_field', value }]));
    if (!result.ok) throw new Error(result.reason);
    expect(result.payload.entry[0]?.changes[0]?.value).toEqual(value);
  });

  it('keeps unknown keys on every level of a known message', () => {
    const json = {
      ...payloadWithMessages(inbound({ text: { body: 'hi', future_text_key: 1 }, future_message_key: 'x' })),
      future_top_key: 'top',
    };
    const result = parseWebhookPayload(json);
    if (!result.ok) throw new Error(result.reason);
    expect(result.payload).toEqual(json);
  });

  it('isMessageOfType narrows to the type-specific object', () => {
    const message = { id: 'w', timestamp: '1', type: 'text', from: '1', text: { body: 'b' } };
    expect(isMessageOfType(message, 'text') ? message.text.body : null).toBe('b');
    expect(isMessageOfType(message, 'image')).toBe(false);
  });
});

describe('parseWebhookPayload properties', () => {
  it('never throws and always answers ok or a non-empty reason, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const result = parseWebhookPayload(json);
        expect(result.ok || result.reason.length > 0).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws for arbitrary JavaScript values', () => {
    fc.assert(
      fc.property(fc.anything({ withBoxedValues: true, withMap: true, withSet: true, withNullPrototype: true }), (value) => {
        const result = parseWebhookPayload(value);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('never echoes an input string in a refusal reason, however the envelope is broken', () => {
    const leaf = fc.oneof(
      fc.string().map((suffix) => `CANARY${suffix}`),
      fc.integer(),
      fc.constant('1700000000'),
      fc.constant(undefined),
    );
    const message = fc.record(
      {
        from: leaf,
        id: leaf,
        timestamp: leaf,
        type: fc.constantFrom('text', 'image', 'interactive', 'order', 'CANARY-type'),
        text: fc.record({ body: leaf }),
        image: fc.record({ id: leaf, mime_type: leaf, sha256: leaf }),
        interactive: fc.record({ type: fc.constantFrom('button_reply', 'list_reply'), button_reply: fc.record({ id: leaf, title: leaf }) }),
        order: fc.record({ catalog_id: leaf, product_items: fc.array(fc.record({ quantity: leaf, currency: leaf })) }),
      },
      { requiredKeys: [] },
    );
    const value = fc.record(
      {
        messaging_product: fc.constantFrom('whatsapp', 'CANARY-product'),
        metadata: fc.record({ display_phone_number: leaf, phone_number_id: leaf }),
        messages: fc.array(message, { maxLength: 3 }),
        statuses: fc.array(fc.record({ id: leaf, status: leaf, timestamp: leaf }), { maxLength: 2 }),
        user_preferences: fc.array(fc.record({ wa_id: leaf, value: leaf, category: leaf, timestamp: leaf })),
        event: leaf,
      },
      { requiredKeys: [] },
    );
    const change = fc.record({
      field: fc.constantFrom('messages', 'user_preferences', 'account_update', 'CANARY-field'),
      value: fc.oneof(value, leaf),
    });
    const payload = fc.record(
      {
        object: fc.constantFrom('whatsapp_business_account', 'CANARY-object'),
        entry: fc.oneof(fc.array(fc.record({ id: leaf, changes: fc.array(change, { maxLength: 3 }) }), { maxLength: 2 }), leaf),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(payload, (json) => {
        const result = parseWebhookPayload(json);
        if (!result.ok) expect(result.reason).not.toContain('CANARY');
      }),
      { numRuns: 1000 },
    );
  });
});

function referenceDepth(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(referenceDepth));
  if (value !== null && typeof value === 'object') return 1 + Math.max(0, ...Object.values(value).map(referenceDepth));
  return 0;
}

describe('measureJsonDepth', () => {
  const nested = Buffer.from('{"a":[1,{"b":[]}]}');

  it('passes nesting exactly at the limit and refuses one level more', () => {
    expect(measureJsonDepth(nested, 4)).toBe(true);
    expect(measureJsonDepth(nested, 3)).toBe(false);
  });

  it('counts a scalar document as depth zero', () => {
    expect(measureJsonDepth(Buffer.from('"[[["'), 0)).toBe(true);
    expect(measureJsonDepth(Buffer.from('[]'), 0)).toBe(false);
  });

  it('ignores brackets inside strings, including after escaped quotes and backslashes', () => {
    const tricky = Buffer.from(JSON.stringify({ a: '[[[{{{\\"]]]', b: 'x\\', c: '"{[', d: ['\\\\"[['] }));
    expect(measureJsonDepth(tricky, 2)).toBe(true);
    expect(measureJsonDepth(tricky, 1)).toBe(false);
  });

  it('resumes counting after a string that ends in an escaped backslash', () => {
    expect(measureJsonDepth(Buffer.from('["\\\\",[[]]]'), 2)).toBe(false);
    expect(measureJsonDepth(Buffer.from('["\\\\",[[]]]'), 3)).toBe(true);
  });

  it('handles multi-byte UTF-8 and escaped unicode inside strings', () => {
    const raw = Buffer.from('{"emoji":"👍 \\ud83d\\udc4d [","k":{"x":"ä]"}}');
    expect(measureJsonDepth(raw, 2)).toBe(true);
    expect(measureJsonDepth(raw, 1)).toBe(false);
  });

  it('agrees with the depth of the parsed value for any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        const raw = Buffer.from(JSON.stringify(value));
        const depth = referenceDepth(value);
        expect(measureJsonDepth(raw, depth)).toBe(true);
        if (depth > 0) expect(measureJsonDepth(raw, depth - 1)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
