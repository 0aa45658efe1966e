import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSayCommand } from '../../src/cli/sandbox-command.js';
import { verifyWebhookSignature } from '../../src/ingress/signature.js';
import { startCloudApiEmulator } from '../../src/sandbox/cloud-api-emulator.js';
import { DISCOVERY_FILE_NAME } from '../../src/sandbox/discovery-file.js';
import { repoRoot } from '../support/shared-fixtures.js';
import { fastTiming } from './support/emulator-fixture.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function freshDataDir(): string {
  const directory = mkdtempSync(path.join(tmpdir(), 'rampart-sandbox-cli-'));
  cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

function runCli(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/sandbox/support/sandbox-cli.ts', ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

async function runningSandbox(respond: (index: number) => number = () => 200) {
  const dataDir = freshDataDir();
  const hook = await startWebhookReceiver();
  hook.respondWith(respond);
  const emulator = await startCloudApiEmulator({ ...fastTiming, dataDir, webhookUrl: hook.url });
  cleanups.push(() => hook.close(), () => emulator.close());
  return { dataDir, hook, emulator };
}

function collect() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, write: (line: string) => out.push(line), writeError: (line: string) => err.push(line) };
}

describe('rampart sandbox say (a real process)', () => {
  it('prints the wamid and exits 0 when the gateway acknowledges', async () => {
    const { dataDir, hook } = await runningSandbox();
    const { code, stdout } = await runCli(['sandbox', 'say', '--from', '+4915112345678', '--name', 'Ada', 'where', 'is', 'my', 'order?'], { RAMPART_DATA_DIR: dataDir }).done;
    expect(code).toBe(0);
    const [wamid, verdict] = stdout.trim().split('\n');
    expect(wamid).toMatch(/^wamid\./);
    expect(verdict).toContain('acknowledged');
    expect(hook.received[0]?.json.entry[0]?.changes[0]?.value.messages).toMatchObject([{ id: wamid, from: '4915112345678', text: { body: 'where is my order?' } }]);
  });

  it('exits 1 when the gateway does not answer 200, and the emulator keeps retrying', async () => {
    const { dataDir, emulator } = await runningSandbox((index) => (index === 0 ? 500 : 200));
    const { code, stdout, stderr } = await runCli(['sandbox', 'say', '--from', '4915112345678', 'hello'], { RAMPART_DATA_DIR: dataDir }).done;
    expect(code).toBe(1);
    expect(stdout).toMatch(/^wamid\./);
    expect(stderr).toContain('answered 500');
    await emulator.waitForIdle();
    expect(emulator.deliveryStats()).toMatchObject({ attempts: 2, delivered: 1 });
  });
});

describe('runSayCommand', () => {
  it('exits 2 with a clear message when no sandbox is running', async () => {
    const io = collect();
    expect(await runSayCommand({ ...io, dataDir: freshDataDir(), from: '+4915112345678', text: 'x' })).toBe(2);
    expect(io.err.join()).toContain('no sandbox is running');
  });

  it.each(['4915', '+49 151 12345678', 'ada', '+4915112345678901234', ''])('exits 2 for the phone number %j, sending nothing', async (from) => {
    const { dataDir, hook } = await runningSandbox();
    const io = collect();
    expect(await runSayCommand({ ...io, dataDir, from, text: 'x' })).toBe(2);
    expect(io.err.join()).toContain('8 to 15 digits');
    expect(hook.received).toHaveLength(0);
  });

  it('exits 2 when the discovery file names a process that has ended', async () => {
    const dataDir = freshDataDir();
    const ended = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => ended.on('exit', resolve));
    writeFileSync(path.join(dataDir, DISCOVERY_FILE_NAME), JSON.stringify({ url: 'http://127.0.0.1:9', controlToken: 'x'.repeat(43), pid: ended.pid, phoneNumberId: '1', displayPhoneNumber: '1' }));
    const io = collect();
    expect(await runSayCommand({ ...io, dataDir, from: '4915112345678', text: 'x' })).toBe(2);
    expect(io.err.join()).toContain('stale');
  });

  it('exits 2 when the emulator named in the file no longer answers', async () => {
    const { dataDir, emulator } = await runningSandbox();
    const discovery = readFileSync(path.join(dataDir, DISCOVERY_FILE_NAME), 'utf8');
    await emulator.close();
    writeFileSync(path.join(dataDir, DISCOVERY_FILE_NAME), discovery);
    const io = collect();
    expect(await runSayCommand({ ...io, dataDir, from: '4915112345678', text: 'x' })).toBe(2);
    expect(io.err.join()).toContain('no sandbox is answering');
  });
});

describe('rampart sandbox (standalone emulator)', () => {
  it('starts against a gateway URL with the sandbox secrets of the data dir, and stops cleanly', async () => {
    const dataDir = freshDataDir();
    const hook = await startWebhookReceiver();
    cleanups.push(() => hook.close());
    const { child, done } = runCli(['sandbox', '--port', '0', '--webhook-url', hook.url], { RAMPART_DATA_DIR: dataDir, RAMPART_LOG_LEVEL: 'warn' });
    cleanups.push(() => void child.kill('SIGKILL'));
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    await hook.waitFor(() => /customer page: (\S+)/.test(output), 20_000);
    const pageUrl = /customer page: (\S+)/.exec(output)![1]!;
    expect(pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{43}$/);

    const io = collect();
    expect(await runSayCommand({ ...io, dataDir, from: '4915112345678', text: 'standalone' })).toBe(0);
    // The gateway in sandbox mode reads the same file: same app secret, same access token.
    const secretsFile = path.join(dataDir, 'sandbox-secrets.json');
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as { WHATSAPP_APP_SECRET: string; WHATSAPP_ACCESS_TOKEN: string };
    const webhook = hook.received[0]!;
    expect(verifyWebhookSignature(Buffer.from(secrets.WHATSAPP_APP_SECRET), webhook.rawBody, webhook.headers['x-hub-signature-256'])).toBe('valid');
    const graphUrl = /WHATSAPP_GRAPH_URL=(\S+)/.exec(output)![1]!;
    const phone = await fetch(`${graphUrl}/v23.0/106540352242922`, { headers: { authorization: `Bearer ${secrets.WHATSAPP_ACCESS_TOKEN}` } });
    expect(phone.status).toBe(200);
    expect(output).not.toContain(secrets.WHATSAPP_ACCESS_TOKEN);
    expect(output).not.toContain(secrets.WHATSAPP_APP_SECRET);

    child.kill('SIGTERM');
    expect((await done).code).toBe(0);
    expect(existsSync(path.join(dataDir, DISCOVERY_FILE_NAME))).toBe(false);
  });
});
