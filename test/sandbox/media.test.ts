import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN, PHONE_NUMBER_ID, VERSION, createManualClock, createTestEmulator } from './support/emulator-fixture.js';
import type { TestEmulator } from './support/emulator-fixture.js';

const CUSTOMER = '4915112345678';
const KB = 1024;
const MB = 1024 * KB;
const clock = createManualClock();
let test: TestEmulator;

beforeAll(async () => {
  test = await createTestEmulator({ clock, pairRateLimit: { burst: 1_000 } });
  await test.emulator.say({ from: CUSTOMER, text: 'open the window' });
});
afterAll(() => test.emulator.close());

function uploadForm(fields: { file?: Buffer; type?: string; messagingProduct?: string | null; filename?: string }): FormData {
  const form = new FormData();
  if (fields.messagingProduct !== null) form.append('messaging_product', fields.messagingProduct ?? 'whatsapp');
  if (fields.type !== undefined) form.append('type', fields.type);
  if (fields.file !== undefined) form.append('file', new Blob([fields.file], { type: fields.type ?? 'application/octet-stream' }), fields.filename ?? 'upload.bin');
  return form;
}

async function upload(fields: Parameters<typeof uploadForm>[0], token: string | null = ACCESS_TOKEN) {
  const response = await test.emulator.app.inject({
    method: 'POST',
    url: `/${VERSION}/${PHONE_NUMBER_ID}/media`,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    payload: uploadForm(fields),
  });
  return { status: response.statusCode, body: JSON.parse(response.body) as { id?: string; error?: { code: number; error_data: { details: string } } } };
}

async function download(url: string, token: string | null = ACCESS_TOKEN) {
  const { pathname, search } = new URL(url);
  return test.emulator.app.inject({ method: 'GET', url: `${pathname}${search}`, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
}

interface MediaDescription {
  messaging_product: string;
  url: string;
  mime_type: string;
  sha256: string;
  file_size: number;
  id: string;
}

async function describeMedia(id: string): Promise<MediaDescription> {
  const answer = await test.graph('GET', `/${VERSION}/${id}`);
  expect(answer.status).toBe(200);
  return answer.body as unknown as MediaDescription;
}

const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2_000, 7)]);

describe('upload, lookup, download', () => {
  it('returns an id, then a description whose URL serves the same bytes with the token', async () => {
    const uploaded = await upload({ file: png, type: 'image/png', filename: 'logo.png' });
    expect(uploaded.status).toBe(200);
    expect(uploaded.body.id).toMatch(/^\d{15}$/);
    const described = await describeMedia(uploaded.body.id!);
    expect(described).toMatchObject({ messaging_product: 'whatsapp', mime_type: 'image/png', file_size: png.length, id: uploaded.body.id });
    expect(described.sha256).toBe(createHash('sha256').update(png).digest('hex'));
    expect(new URL(described.url).pathname).toBe('/whatsapp_business/attachments/');
    const fetched = await download(described.url);
    expect(fetched.statusCode).toBe(200);
    expect(fetched.headers['content-type']).toBe('image/png');
    expect(fetched.rawPayload.equals(png)).toBe(true);
  });

  it('refuses the download without the token (401) or with another token', async () => {
    const { id } = (await upload({ file: png, type: 'image/png' })).body;
    const { url } = await describeMedia(id!);
    expect((await download(url, null)).statusCode).toBe(401);
    expect((await download(url, 'not-the-token')).statusCode).toBe(401);
  });

  it('refuses the URL five minutes after the lookup, and a fresh lookup gives a working one', async () => {
    const { id } = (await upload({ file: png, type: 'image/png' })).body;
    const { url } = await describeMedia(id!);
    clock.advance(5 * 60 * 1000 - 1_000);
    expect((await download(url)).statusCode).toBe(200);
    clock.advance(1_000);
    expect((await download(url)).statusCode).toBe(403);
    expect((await download((await describeMedia(id!)).url)).statusCode).toBe(200);
  });

  it('refuses a URL whose expiry or media id was altered', async () => {
    const [first, second] = [(await upload({ file: png, type: 'image/png' })).body.id!, (await upload({ file: png, type: 'image/png' })).body.id!];
    const url = new URL((await describeMedia(first)).url);
    const later = new URL(url);
    later.searchParams.set('ext', String(Number(url.searchParams.get('ext')) + 3_600));
    const other = new URL(url);
    other.searchParams.set('mid', second);
    expect((await download(later.toString())).statusCode).toBe(403);
    expect((await download(other.toString())).statusCode).toBe(403);
  });

  it('deletes media: lookup answers 100, the old URL 404', async () => {
    const { id } = (await upload({ file: png, type: 'image/png' })).body;
    const { url } = await describeMedia(id!);
    expect((await test.graph('DELETE', `/${VERSION}/${id}`)).body).toEqual({ success: true });
    expect((await test.graph('GET', `/${VERSION}/${id}`)).body.error?.code).toBe(100);
    expect((await download(url)).statusCode).toBe(404);
    expect((await test.graph('DELETE', `/${VERSION}/${id}`)).body.error?.code).toBe(100);
  });
});

describe("Meta's upload limits", () => {
  it.each([
    ['image/jpeg', 5 * MB],
    ['image/webp', 500 * KB],
    ['audio/ogg', 16 * MB],
    ['video/mp4', 16 * MB],
  ])('accepts %s up to its limit and refuses one byte more with 131053', async (type, limit) => {
    expect((await upload({ file: Buffer.alloc(limit, 1), type })).status).toBe(200);
    const over = await upload({ file: Buffer.alloc(limit + 1, 1), type });
    expect(over.status).toBe(400);
    expect(over.body.error?.code).toBe(131053);
  });

  it.each([
    ['an unsupported type', { file: png, type: 'application/x-msdownload' }, 131053],
    ['an empty file', { file: Buffer.alloc(0), type: 'image/png' }, 131053],
    ['no type field', { file: png }, 100],
    ['no file', { type: 'image/png' }, 100],
    ['no messaging_product', { file: png, type: 'image/png', messagingProduct: null }, 100],
  ])('refuses %s', async (_case, fields, code) => {
    const answer = await upload(fields);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe(code);
  });

  it('refuses an upload without the token with 190', async () => {
    expect((await upload({ file: png, type: 'image/png' }, null)).body.error?.code).toBe(190);
  });
});

describe('sending uploaded media', () => {
  it('accepts an image by its uploaded id', async () => {
    const { id } = (await upload({ file: png, type: 'image/png' })).body;
    expect((await test.send({ to: CUSTOMER, type: 'image', image: { id, caption: 'logo' } })).status).toBe(200);
  });

  it('refuses an id of another kind of media with 100', async () => {
    const { id } = (await upload({ file: png, type: 'image/png' })).body;
    const answer = await test.send({ to: CUSTOMER, type: 'document', document: { id } });
    expect(answer.body.error?.code).toBe(100);
    expect(answer.body.error?.error_data.details).toContain('image');
  });
});

describe('media sent by customers', () => {
  it('can be looked up and downloaded like uploaded media', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'rampart-sandbox-media-'));
    try {
      const file = path.join(directory, 'invoice.pdf');
      const pdf = Buffer.from('%PDF-1.4 sandbox');
      writeFileSync(file, pdf);
      await test.emulator.sendFile({ from: CUSTOMER, filePath: file, mimeType: 'application/pdf', caption: 'my invoice', filename: 'invoice.pdf' });
      const content = test.emulator.conversation(CUSTOMER)?.messages.at(-1)?.content;
      expect(content).toMatchObject({ kind: 'media', mediaType: 'document', caption: 'my invoice', filename: 'invoice.pdf' });
      const mediaId = (content as { mediaId: string }).mediaId;
      const described = await describeMedia(mediaId);
      expect(described).toMatchObject({ mime_type: 'application/pdf', file_size: pdf.length });
      expect((await download(described.url)).rawPayload.equals(pdf)).toBe(true);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('refuses a customer file of an unsupported type', async () => {
    await expect(test.emulator.say({ from: CUSTOMER, media: { mimeType: 'application/x-sh', dataBase64: Buffer.from('#!/bin/sh').toString('base64') } })).rejects.toMatchObject({ code: 131053 });
  });
});
