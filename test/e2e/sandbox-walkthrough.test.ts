import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDataDir } from '../support/databases.js';
import { spawnGateway } from '../support/gateway-process.js';
import type { GatewayProcess } from '../support/gateway-process.js';
import { repoRoot } from '../support/shared-fixtures.js';

// The README's walkthrough, as a newcomer runs it: `rampart start --sandbox`, a customer message
// from `rampart sandbox say`, an API key, a reply through the send API, statuses coming back,
// and nothing readable left in the database files.

const CUSTOMER = '+4915112345678';
const QUESTION = 'Wo ist meine Bestellung? 📦';
const ANSWER = 'Sie wird heute verschickt.';

function runCli(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', RAMPART_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('the sandbox walkthrough, as separate processes', () => {
  let gateway: GatewayProcess | undefined;
  afterEach(async () => {
    if (gateway && gateway.child.exitCode === null) {
      gateway.child.kill('SIGKILL');
      await gateway.exited;
    }
  });

  it('stores a customer message and a reply encrypted, with statuses, reachable through the API', async () => {
    const dataDir = makeDataDir('rampart-e2e-');
    gateway = await spawnGateway({ RAMPART_DATA_DIR: dataDir, RAMPART_SANDBOX_PORT: '0' }, 30_000, ['--sandbox']);
    expect(gateway.output()).toContain('customerPage');

    const said = await runCli(['sandbox', 'say', '--from', CUSTOMER, '--name', 'Ada Lovelace', QUESTION], dataDir);
    expect(said.code, said.stderr).toBe(0);
    expect(said.stdout).toMatch(/^wamid\./);

    const created = await runCli(['keys', 'create-api-key', '--name', 'e2e', '--scopes', 'messages:send,messages:read'], dataDir);
    expect(created.code, created.stderr).toBe(0);
    const apiKey = created.stdout.trim().split('\n').at(-1)!;
    expect(apiKey).toMatch(/^rmp_/);

    const queued = await fetch(`${gateway.url}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: CUSTOMER, type: 'text', text: { body: ANSWER } }),
    });
    expect(queued.status).toBe(202);
    const { id } = (await queued.json()) as { id: string };
    let status = '';
    for (let tries = 0; tries < 200 && status !== 'read'; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const response = await fetch(`${gateway.url}/api/v1/messages/${id}`, { headers: { authorization: `Bearer ${apiKey}` } });
      status = ((await response.json()) as { status: string }).status;
    }
    expect(status).toBe('read');

    // The customer's phone (the emulator) got the reply.
    const sandbox = JSON.parse(readFileSync(path.join(dataDir, 'sandbox-emulator.json'), 'utf8')) as { url: string; controlToken: string };
    const conversation = (await (await fetch(`${sandbox.url}/sandbox/conversations/${CUSTOMER.slice(1)}`, { headers: { authorization: `Bearer ${sandbox.controlToken}` } })).json()) as {
      messages: { direction: string; content: { text?: string } }[];
    };
    expect(conversation.messages.map((message) => [message.direction, message.content.text])).toEqual([
      ['inbound', QUESTION],
      ['outbound', ANSWER],
    ]);

    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe('0');
    // Nothing personal in the database files (the WAL included), in UTF-8 or UTF-16.
    const files = readdirSync(dataDir).filter((name) => name.startsWith('rampart.sqlite'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = readFileSync(path.join(dataDir, file));
      for (const needle of ['Bestellung', 'verschickt', 'Ada Lovelace', '4915112345678']) {
        expect(bytes.includes(Buffer.from(needle, 'utf8')), `${needle} in ${file}`).toBe(false);
        expect(bytes.includes(Buffer.from(needle, 'utf16le')), `${needle} (UTF-16) in ${file}`).toBe(false);
      }
    }
  }, 90_000);
});
