import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEmulator, wamidOf } from './support/emulator-fixture.js';
import type { TestEmulator } from './support/emulator-fixture.js';

const CUSTOMER = '4915112345678';

let test: TestEmulator;
beforeAll(async () => {
  // Generous limits: this file is about the shape of requests, not about rates.
  test = await createTestEmulator({ pairRateLimit: { burst: 1_000 }, throughputPerSecond: 1_000 });
  await test.emulator.say({ from: CUSTOMER, text: 'open the window' });
});
afterAll(() => test.emulator.close());

const button = (id: string, title: string) => ({ type: 'reply', reply: { id, title } });
const rows = (count: number) => Array.from({ length: count }, (_, index) => ({ id: `row-${index}`, title: `Row ${index}` }));

const validMessages: [string, Record<string, unknown>][] = [
  ['text', { type: 'text', text: { body: 'Hello', preview_url: false } }],
  ['text when type is omitted', { text: { body: 'Hello' } }],
  ['a template without parameters', { type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } }],
  ['a template with two body parameters', { type: 'template', template: { name: 'order_update', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text: 'A-17' }] }] } }],
  ['an authentication template', { type: 'template', template: { name: 'verification_code', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '123456' }] }, { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '123456' }] }] } }],
  ['interactive buttons', { type: 'interactive', interactive: { type: 'button', header: { type: 'text', text: 'Order' }, body: { text: 'Confirm?' }, footer: { text: 'Shop' }, action: { buttons: [button('yes', 'Yes'), button('no', 'No')] } } }],
  ['an interactive list', { type: 'interactive', interactive: { type: 'list', body: { text: 'Pick a slot' }, action: { button: 'Slots', sections: [{ title: 'Morning', rows: rows(3) }] } } }],
  ['an interactive call-to-action URL', { type: 'interactive', interactive: { type: 'cta_url', body: { text: 'See your order' }, action: { name: 'cta_url', parameters: { display_text: 'Open', url: 'https://example.com/orders/1' } } } }],
  ['an image by https link with a caption', { type: 'image', image: { link: 'https://example.com/a.jpg', caption: 'A' } }],
  ['a video by link', { type: 'video', video: { link: 'https://example.com/a.mp4' } }],
  ['an audio by link', { type: 'audio', audio: { link: 'https://example.com/a.ogg' } }],
  ['a document with a file name', { type: 'document', document: { link: 'https://example.com/a.pdf', filename: 'invoice.pdf' } }],
  ['a sticker by link', { type: 'sticker', sticker: { link: 'https://example.com/a.webp' } }],
  ['a reaction', { type: 'reaction', reaction: { message_id: 'wamid.ABC', emoji: '👍' } }],
  ['a reaction removal (empty emoji)', { type: 'reaction', reaction: { message_id: 'wamid.ABC', emoji: '' } }],
  ['a location', { type: 'location', location: { latitude: 52.52, longitude: 13.405, name: 'Office' } }],
  ['contacts', { type: 'contacts', contacts: [{ name: { formatted_name: 'Ada Lovelace', first_name: 'Ada' }, phones: [{ phone: '+4915100000000' }] }] }],
  ['a reply with context', { type: 'text', text: { body: 'Re' }, context: { message_id: 'wamid.ABC' } }],
];

describe('POST /messages accepts every documented type', () => {
  it.each(validMessages)('%s → wamid', async (_case, message) => {
    const answer = await test.send({ recipient_type: 'individual', to: CUSTOMER, ...message });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ messaging_product: 'whatsapp', contacts: [{ input: CUSTOMER, wa_id: CUSTOMER }] });
    expect(wamidOf(answer)).toMatch(/^wamid\.[A-Za-z0-9+/]+=*$/);
  });

  it('answers a wamid shaped like Meta’s (base64 of a record holding the recipient) and the wa_id as digits', async () => {
    const answer = await test.send({ to: '+49 151 1234-5678', type: 'text', text: { body: 'x' } });
    expect(answer.body.contacts).toEqual([{ input: '+49 151 1234-5678', wa_id: CUSTOMER }]);
    const decoded = Buffer.from(wamidOf(answer).slice('wamid.'.length), 'base64');
    expect(decoded.subarray(0, 2)).toEqual(Buffer.from([0x1c, 0x18]));
    expect(decoded.toString('latin1')).toContain(CUSTOMER);
  });

  it('gives every message its own wamid', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => test.send({ to: CUSTOMER, text: { body: 'x' } })));
    expect(new Set(answers.map(wamidOf)).size).toBe(20);
  });

  it('marks a customer message read and answers success', async () => {
    const { wamid } = await test.emulator.say({ from: CUSTOMER, text: 'read me' });
    const answer = await test.send({ status: 'read', message_id: wamid });
    expect(answer).toEqual({ status: 200, body: { success: true } });
    expect(test.emulator.conversation(CUSTOMER)?.messages.find((message) => message.wamid === wamid)).toMatchObject({ isReadByBusiness: true });
  });
});

const invalidMessages: [string, Record<string, unknown>, string][] = [
  ['no messaging_product', { messaging_product: undefined, to: CUSTOMER, text: { body: 'x' } }, 'messaging_product'],
  ['another messaging_product', { messaging_product: 'sms', to: CUSTOMER, text: { body: 'x' } }, 'messaging_product'],
  ['no recipient', { text: { body: 'x' } }, 'to'],
  ['a recipient that is not a phone number', { to: 'alice', text: { body: 'x' } }, 'to'],
  ['a recipient of 7 digits', { to: '1234567', text: { body: 'x' } }, 'to'],
  ['an unknown type', { to: CUSTOMER, type: 'hologram', hologram: {} }, 'type'],
  ['a text without body', { to: CUSTOMER, type: 'text', text: {} }, "text['body']"],
  ['an empty text body', { to: CUSTOMER, type: 'text', text: { body: '' } }, "text['body']"],
  ['a text body over 4096 characters', { to: CUSTOMER, type: 'text', text: { body: 'x'.repeat(4097) } }, "text['body']"],
  ['a type without its object', { to: CUSTOMER, type: 'image' }, 'image'],
  ['an image with both id and link', { to: CUSTOMER, type: 'image', image: { id: '1', link: 'https://example.com/a.jpg' } }, 'id or link'],
  ['an image by http link', { to: CUSTOMER, type: 'image', image: { link: 'http://example.com/a.jpg' } }, "image['link']"],
  ['an audio with a caption', { to: CUSTOMER, type: 'audio', audio: { link: 'https://example.com/a.ogg', caption: 'x' } }, "audio['caption']"],
  ['an image by an id never uploaded', { to: CUSTOMER, type: 'image', image: { id: '123456789012345' } }, "image['id']"],
  ['four reply buttons', { to: CUSTOMER, type: 'interactive', interactive: { type: 'button', body: { text: 'x' }, action: { buttons: [button('a', 'A'), button('b', 'B'), button('c', 'C'), button('d', 'D')] } } }, "interactive['action']['buttons']"],
  ['a button title over 20 characters', { to: CUSTOMER, type: 'interactive', interactive: { type: 'button', body: { text: 'x' }, action: { buttons: [button('a', 'x'.repeat(21))] } } }, "interactive['action']['buttons'][0]['reply']['title']"],
  ['duplicate button ids', { to: CUSTOMER, type: 'interactive', interactive: { type: 'button', body: { text: 'x' }, action: { buttons: [button('a', 'A'), button('a', 'B')] } } }, 'unique'],
  ['a list of 11 rows', { to: CUSTOMER, type: 'interactive', interactive: { type: 'list', body: { text: 'x' }, action: { button: 'Pick', sections: [{ title: 'A', rows: rows(6) }, { title: 'B', rows: rows(5).map((row) => ({ ...row, id: `b-${row.id}` })) }] } } }, '10 rows'],
  ['two list sections without titles', { to: CUSTOMER, type: 'interactive', interactive: { type: 'list', body: { text: 'x' }, action: { button: 'Pick', sections: [{ rows: rows(1) }, { rows: [{ id: 'z', title: 'Z' }] }] } } }, 'title'],
  ['a call-to-action URL over http', { to: CUSTOMER, type: 'interactive', interactive: { type: 'cta_url', body: { text: 'x' }, action: { name: 'cta_url', parameters: { display_text: 'Open', url: 'http://example.com' } } } }, "['url']"],
  ['an unknown interactive type', { to: CUSTOMER, type: 'interactive', interactive: { type: 'carousel', body: { text: 'x' }, action: {} } }, "interactive['type']"],
  ['a latitude of 91', { to: CUSTOMER, type: 'location', location: { latitude: 91, longitude: 0 } }, "location['latitude']"],
  ['no contacts', { to: CUSTOMER, type: 'contacts', contacts: [] }, 'contacts'],
  ['a reaction without message_id', { to: CUSTOMER, type: 'reaction', reaction: { emoji: '👍' } }, "reaction['message_id']"],
  ['a template without language', { to: CUSTOMER, type: 'template', template: { name: 'hello_world' } }, "template['language']"],
  ['mark-as-read of an unknown message', { status: 'read', message_id: 'wamid.unknown' }, 'message_id'],
];

describe('POST /messages refuses invalid parameters with code 100', () => {
  it.each(invalidMessages)('%s', async (_case, message, parameter) => {
    const before = test.emulator.sentMessages().length;
    const answer = await test.send(message);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 100, type: 'OAuthException', error_data: { messaging_product: 'whatsapp' } });
    expect(answer.body.error?.error_data.details).toContain(parameter);
    expect(test.emulator.sentMessages()).toHaveLength(before);
  });

  it('refuses a body that is not JSON with code 100', async () => {
    const response = await test.emulator.app.inject({
      method: 'POST',
      url: '/v23.0/106540352242922/messages',
      headers: { authorization: 'Bearer sandbox-test-access-token-0123456789', 'content-type': 'application/json' },
      payload: '{"messaging_product":',
    });
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: 100 } });
  });
});
