import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandboxPair } from '../support/sandbox-pair.js';
import type { SandboxPair } from '../support/sandbox-pair.js';

const CUSTOMER = '+4915112345678';
// A real (tiny) PNG: signature + IHDR is enough for Meta's type check; the bytes must round-trip exactly.
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(2_000)]);

async function waitForMedia(pair: SandboxPair) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = await pair.gateway.rampart.database.db.selectFrom('media_objects').selectAll().execute();
    if (rows.length > 0 && rows.every((row) => row.state !== 'pending')) return rows;
    if (Date.now() > deadline) throw new Error(`media still pending: ${JSON.stringify(rows.map((row) => row.state))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('customer media', () => {
  let pair: SandboxPair;
  afterEach(async () => pair?.close());

  it('is fetched after the message is stored, sealed at rest, and served byte for byte to a media:read key only', async () => {
    pair = await startSandboxPair();
    const said = await pair.emulator.say({ from: CUSTOMER, media: { mimeType: 'image/png', dataBase64: PNG.toString('base64'), caption: 'my receipt' } });
    expect(said.delivery.isAcknowledged).toBe(true);
    const [media] = await waitForMedia(pair);
    expect(media).toMatchObject({ state: 'stored', mime_type: 'image/png', byte_size: PNG.length });
    expect(media!.content_enc!.includes(PNG.subarray(16, 80))).toBe(false);

    const download = await fetch(`${pair.gateway.url}/api/v1/media/${media!.id}`, { headers: { authorization: `Bearer ${pair.apiKey}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(PNG).digest('hex'));
    // The decrypting read is audited: one entry, naming the contact by its pseudonym.
    const entries = await pair.gateway.rampart.database.db.selectFrom('audit_entries').selectAll().where('action', '=', 'media.download').execute();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ subject_contact_id: media!.contact_id, outcome: 'success', actor_type: 'api-key' });

    const { key: sender } = await pair.gateway.rampart.apiKeys.createApiKey('no-media', ['messages:send']);
    expect((await fetch(`${pair.gateway.url}/api/v1/media/${media!.id}`, { headers: { authorization: `Bearer ${sender}` } })).status).toBe(403);
    expect((await fetch(`${pair.gateway.url}/api/v1/media/${media!.id}`)).status).toBe(401);
  });

  it('looks the URL up again when a download is refused (an expired URL) and still stores the file', async () => {
    // A proxy in front of the emulator: it rewrites media URLs to pass through it, and refuses the
    // first download as an expired URL would be refused.
    let refusals = 0;
    let emulatorUrl = '';
    const proxy = http.createServer((request, response) => {
      if (request.url?.startsWith('/whatsapp_business/attachments/') && refusals === 0) {
        refusals += 1;
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"URL expired","code":100}}');
        return;
      }
      const upstream = http.request(new URL(request.url!, emulatorUrl), { method: request.method, headers: request.headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const isJson = (answer.headers['content-type'] ?? '').includes('json');
          const body = isJson ? Buffer.from(Buffer.concat(chunks).toString('utf8').replaceAll(emulatorUrl, proxyUrl)) : Buffer.concat(chunks);
          const headers = { ...answer.headers, 'content-length': String(body.length) };
          delete headers['transfer-encoding'];
          response.writeHead(answer.statusCode ?? 502, headers).end(body);
        });
      });
      request.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      pair = await startSandboxPair({ graphUrl: (emulator) => ((emulatorUrl = emulator.url()!), proxyUrl) });
      await pair.emulator.say({ from: CUSTOMER, media: { mimeType: 'image/png', dataBase64: PNG.toString('base64') } });
      const [media] = await waitForMedia(pair);
      expect(refusals).toBe(1);
      expect(media!.state).toBe('stored');
      const jobs = (await pair.jobs()).filter((job) => job.kind === 'fetch-media');
      expect(jobs).toMatchObject([{ state: 'done', attempts: 1 }]);
    } finally {
      proxy.close();
    }
  });

  it('refuses a media URL outside Meta\'s media hosts, without sending the token there', async () => {
    let emulatorUrl = '';
    let strayRequests = 0;
    const stray = http.createServer((_request, response) => {
      strayRequests += 1;
      response.end('secret-free');
    });
    await new Promise<void>((resolve) => stray.listen(0, '127.0.0.2', resolve));
    const strayUrl = `http://127.0.0.2:${(stray.address() as AddressInfo).port}`;
    // A Graph API answer that points the download elsewhere (a compromised or spoofed lookup).
    const proxy = http.createServer((request, response) => {
      const upstream = http.request(new URL(request.url!, emulatorUrl), { method: request.method, headers: request.headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.from(Buffer.concat(chunks).toString('utf8').replaceAll(emulatorUrl, strayUrl));
          const headers = { ...answer.headers, 'content-length': String(body.length) };
          delete headers['transfer-encoding'];
          response.writeHead(answer.statusCode ?? 502, headers).end(body);
        });
      });
      request.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      pair = await startSandboxPair({ graphUrl: (emulator) => ((emulatorUrl = emulator.url()!), `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`) });
      await pair.emulator.say({ from: CUSTOMER, media: { mimeType: 'image/png', dataBase64: PNG.toString('base64') } });
      const [media] = await waitForMedia(pair);
      expect(media).toMatchObject({ state: 'failed', content_enc: null });
      expect(media!.failure_reason).toMatch(/outside Meta's media hosts/);
      expect(strayRequests).toBe(0);
    } finally {
      proxy.close();
      stray.close();
    }
  });

  it('uploads media for sending through POST /api/v1/media and sends it by id', async () => {
    pair = await startSandboxPair();
    await pair.openWindow(CUSTOMER);
    const form = new FormData();
    form.set('file', new Blob([PNG], { type: 'image/png' }), 'receipt.png');
    const upload = await fetch(`${pair.gateway.url}/api/v1/media`, { method: 'POST', headers: { authorization: `Bearer ${pair.apiKey}` }, body: form });
    expect(upload.status).toBe(201);
    const { id } = (await upload.json()) as { id: string };
    expect(id).toMatch(/^\d+$/);
    const sent = await pair.send({ to: CUSTOMER, type: 'image', image: { id, caption: 'your receipt' } });
    expect(sent.status).toBe(202);
    await pair.waitForOutbox();
    const outbound = pair.emulator.sentMessages(CUSTOMER).filter((message) => message.direction === 'outbound');
    expect(outbound).toHaveLength(1);

    const refused = new FormData();
    refused.set('file', new Blob([Buffer.from('#!/bin/sh\necho hi\n')], { type: 'application/x-sh' }), 'x.sh');
    const wrongType = await fetch(`${pair.gateway.url}/api/v1/media`, { method: 'POST', headers: { authorization: `Bearer ${pair.apiKey}` }, body: refused });
    expect(wrongType.status).toBe(400);
  });
});
