import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCloudApiEmulator } from '../../src/sandbox/cloud-api-emulator.js';
import { DISCOVERY_FILE_NAME } from '../../src/sandbox/discovery-file.js';
import { fastTiming } from './support/emulator-fixture.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function freshDataDir(): string {
  const directory = mkdtempSync(path.join(tmpdir(), 'rampart-sandbox-'));
  directories.push(directory);
  return path.join(directory, 'data');
}

describe('discovery file', () => {
  it('is written on listen, readable by the owner only, and names the running emulator', async () => {
    const dataDir = freshDataDir();
    const emulator = await startCloudApiEmulator({ ...fastTiming, dataDir });
    try {
      const file = path.join(dataDir, DISCOVERY_FILE_NAME);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
        url: emulator.url(),
        controlToken: emulator.controlToken,
        pid: process.pid,
        phoneNumberId: emulator.phoneNumberId,
        displayPhoneNumber: emulator.displayPhoneNumber,
      });
      expect(emulator.url()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(emulator.pageUrl()).toBe(`${emulator.url()}/#token=${emulator.controlToken}`);
    } finally {
      await emulator.close();
    }
    expect(existsSync(path.join(dataDir, DISCOVERY_FILE_NAME))).toBe(false);
  });

  it('is left in place on close when another emulator has replaced it since', async () => {
    const dataDir = freshDataDir();
    const first = await startCloudApiEmulator({ ...fastTiming, dataDir });
    const second = await startCloudApiEmulator({ ...fastTiming, dataDir });
    await first.close();
    const file = path.join(dataDir, DISCOVERY_FILE_NAME);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ controlToken: second.controlToken });
    await second.close();
    expect(existsSync(file)).toBe(false);
  });

  it('is not removed when its content is someone else’s', async () => {
    const dataDir = freshDataDir();
    const emulator = await startCloudApiEmulator({ ...fastTiming, dataDir });
    const file = path.join(dataDir, DISCOVERY_FILE_NAME);
    writeFileSync(file, 'not json');
    await emulator.close();
    expect(readFileSync(file, 'utf8')).toBe('not json');
  });

  it('is not written without a data dir', async () => {
    const emulator = await startCloudApiEmulator(fastTiming);
    await emulator.close();
    expect(emulator.url()).not.toBeNull();
  });
});

describe('listening', () => {
  it('refuses a host other than loopback', async () => {
    await expect(startCloudApiEmulator({ ...fastTiming, host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });

  it('hands out media URLs on its own listening address', async () => {
    const emulator = await startCloudApiEmulator({ ...fastTiming, accessToken: 'listening-test-token-0123456789' });
    try {
      const form = new FormData();
      form.append('messaging_product', 'whatsapp');
      form.append('type', 'text/plain');
      form.append('file', new Blob(['hello']), 'hello.txt');
      const headers = { authorization: 'Bearer listening-test-token-0123456789' };
      const base = `${emulator.url()}/v23.0`;
      const { id } = (await (await fetch(`${base}/${emulator.phoneNumberId}/media`, { method: 'POST', headers, body: form })).json()) as { id: string };
      const { url } = (await (await fetch(`${base}/${id}`, { headers })).json()) as { url: string };
      expect(url.startsWith(`${emulator.url()}/whatsapp_business/attachments/?`)).toBe(true);
      const downloaded = await fetch(url, { headers });
      expect(await downloaded.text()).toBe('hello');
      expect((await fetch(url)).status).toBe(401);
    } finally {
      await emulator.close();
    }
  });

  it('refuses options that make no sense, listing each', async () => {
    await expect(startCloudApiEmulator({ throughputPerSecond: 0, phoneNumberId: 'abc' })).rejects.toThrow(/throughputPerSecond.*phoneNumberId|phoneNumberId.*throughputPerSecond/);
  });
});
