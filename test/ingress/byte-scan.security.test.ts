import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { serialiseLikeMeta, statusPayload, textMessagePayload } from '../support/payloads.js';
import { startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';

// Pins: no plaintext PII on disk or in logs. After ingesting messages with known numbers, names
// and texts, none of them occurs in the database file, its WAL, or the log, in UTF-8 or UTF-16.

const customers = [
  { phone: '4915112345678', name: 'Zoë Kowalczyk-Brandt', text: 'My IBAN is DE89370400440532013000, please refund order 7731' },
  { phone: '919876543210', name: 'Priyanka Raghunathan', text: 'मेरा पता 221B बेकर स्ट्रीट है' },
  { phone: '16505551234', name: 'Jonathan Q. Whitfield', text: 'Diagnosis: type 2 diabetes, insulin 14 units 😷' },
];
const wamids = customers.map((_customer, index) => `wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUJD${index}RkVGQUJDREVGMDEyMzQA`);

function needlesOf(values: readonly string[]): { label: string; bytes: Buffer }[] {
  return values.flatMap((value) => [
    { label: `${value} (UTF-8)`, bytes: Buffer.from(value, 'utf8') },
    { label: `${value} (UTF-16LE)`, bytes: Buffer.from(value, 'utf16le') },
    { label: `${value} (UTF-16BE)`, bytes: Buffer.from(value, 'utf16le').swap16() },
  ]);
}

const sensitive = needlesOf([
  ...customers.flatMap((customer) => [customer.phone, `+${customer.phone}`, customer.name, customer.text, ...customer.text.split(/[ ,:]+/).filter((word) => word.length >= 8)]),
  ...wamids,
]);

function findLeaks(haystack: Buffer, where: string): string[] {
  return sensitive.filter((needle) => haystack.includes(needle.bytes)).map((needle) => `${needle.label} in ${where}`);
}

function scanDirectory(directory: string): string[] {
  return readdirSync(directory)
    .map((file) => path.join(directory, file))
    .flatMap((file) => findLeaks(readFileSync(file), path.basename(file)));
}

describe('byte scan of the SQLite store and the log', () => {
  let database: TestDatabase;
  let gateway: TestGateway;

  beforeAll(async () => {
    database = await createSqliteDatabase();
    gateway = await startTestGateway(database, { overrides: { RAMPART_LOG_LEVEL: 'trace' } });
    const messages = customers.map((customer, index) => ({ wamid: wamids[index]!, from: customer.phone, name: customer.name, body: customer.text }));
    // Both as Meta sends it (\u-escaped) and as raw UTF-8, with statuses naming the same numbers.
    expect((await gateway.post(serialiseLikeMeta(textMessagePayload(messages)))).status).toBe(200);
    const utf8Copies = messages.map((message) => ({ ...message, wamid: `${message.wamid}-utf8` }));
    expect((await gateway.post(JSON.stringify(textMessagePayload(utf8Copies)))).status).toBe(200);
    const statuses = customers.map((customer, index) => ({ wamid: `${wamids[index]}-out`, status: 'delivered', recipient: customer.phone }));
    expect((await gateway.post(serialiseLikeMeta(statusPayload(statuses)))).status).toBe(200);
    // Refused requests must not leak either.
    expect((await gateway.post(JSON.stringify(textMessagePayload(messages)), { signature: `sha256=${'0'.repeat(64)}` })).status).toBe(401);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('stored what it was sent, readable through the decrypting path', async () => {
    const stored = await gateway.rampart.reader.findMessageByWamid(wamids[2]!);
    expect(stored?.content).toMatchObject({ text: { body: customers[2]!.text } });
    const contact = await gateway.rampart.reader.findContactByPhone(`+${customers[0]!.phone}`);
    expect(contact).toMatchObject({ waId: customers[0]!.phone, profile: { name: customers[0]!.name } });
  });

  it('finds none of the numbers, names, texts or message ids in the database file or its WAL while running', () => {
    expect(existsSync(path.join(database.dataDir, 'rampart.sqlite-wal'))).toBe(true);
    expect(scanDirectory(database.dataDir)).toEqual([]);
  });

  it('finds none of them in the log output', () => {
    const logs = gateway.logs();
    expect(logs.length).toBeGreaterThan(0);
    expect(findLeaks(Buffer.from(logs, 'utf8'), 'log')).toEqual([]);
  });

  it('finds none of them after shutdown checkpoints the WAL into the main file', async () => {
    await gateway.close();
    expect(scanDirectory(database.dataDir)).toEqual([]);
  });

  it('would find a planted plaintext (the scan can fail)', () => {
    const planted = Buffer.concat([Buffer.from('xx'), Buffer.from(customers[1]!.name, 'utf16le'), Buffer.from('yy')]);
    expect(findLeaks(planted, 'planted')).toHaveLength(1);
  });
});
