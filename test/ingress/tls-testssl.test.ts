import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';

/**
 * Rampart's TLS listener as an outside tool sees it: testssl.sh (Debian's `testssl.sh` package,
 * installed by .ci/run) probes every protocol with its own sockets and enumerates every cipher the
 * server accepts. Our own handshake tests (tls.test.ts) could share a blind spot with Node's TLS;
 * this one cannot. The summary is kept under test-results/ for the record.
 */
const testssl = ['testssl', 'testssl.sh'].find((command) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0);
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const missingToolsMessage = 'skipped: testssl.sh is not installed (apt-get install -y testssl.sh; CI installs it) or the openssl CLI is missing';
const RESULTS_DIR = path.resolve('test-results');

interface Finding {
  id: string;
  severity: string;
  finding: string;
}

function runTestssl(command: string, target: string, jsonFile: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    // -p: every protocol; -e: every cipher, one handshake each. No DNS, no colour, no prompts.
    const child = spawn(command, ['--quiet', '--color', '0', '--warnings', 'off', '--nodns', 'none', '-p', '-e', '--jsonfile', jsonFile, target], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

noteSkippedWhen(!testssl || !hasOpenssl, 'TLS listener scanned by testssl.sh', missingToolsMessage);

describe.skipIf(!testssl || !hasOpenssl)('TLS listener scanned by testssl.sh', () => {
  let database: TestDatabase;
  let gateway: TestGateway;
  let findings: Finding[];

  beforeAll(async () => {
    database = await createSqliteDatabase();
    const certFile = path.join(database.dataDir, 'cert.pem');
    const keyFile = path.join(database.dataDir, 'key.pem');
    // RSA: with an RSA key, static RSA key exchange (no forward secrecy) would work if the server allowed it.
    const generated = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', keyFile, '-out', certFile], { encoding: 'utf8' });
    if (generated.status !== 0) throw new Error(`openssl failed: ${generated.stderr}`);
    gateway = await startTestGateway(database, { overrides: { RAMPART_TLS_CERT_FILE: certFile, RAMPART_TLS_KEY_FILE: keyFile } });
    const jsonFile = path.join(database.dataDir, 'testssl.json');
    await runTestssl(testssl!, `127.0.0.1:${new URL(gateway.url).port}`, jsonFile);
    findings = JSON.parse(readFileSync(jsonFile, 'utf8')) as Finding[];
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(path.join(RESULTS_DIR, 'testssl.json'), JSON.stringify(findings, null, 2));
    writeFileSync(path.join(RESULTS_DIR, 'testssl-summary.txt'), findings.map((entry) => `${entry.id.padEnd(16)} ${entry.severity.padEnd(8)} ${entry.finding}`).join('\n') + '\n');
  }, 240_000);

  afterAll(async () => {
    await gateway?.close();
    if (database) rmSync(database.dataDir, { recursive: true, force: true });
  });

  const findingOf = (id: string) => findings.find((entry) => entry.id === id)?.finding ?? `(testssl reported nothing for ${id})`;

  it('offers neither SSL nor TLS 1.0 or 1.1', () => {
    for (const protocol of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) expect(findingOf(protocol), protocol).toMatch(/^not offered/);
  });

  it('offers TLS 1.2 and TLS 1.3', () => {
    expect(findingOf('TLS1_2')).toMatch(/^offered/);
    expect(findingOf('TLS1_3')).toMatch(/^offered/);
  });

  it('accepts only forward-secret AEAD ciphers', () => {
    // Each `cipher_<code>` finding: hex code, OpenSSL name, key exchange, its bits, encryption, bits, IANA name.
    const ciphers = findings.filter((entry) => entry.id.startsWith('cipher_x')).map((entry) => entry.finding.trim().split(/\s+/));
    expect(ciphers.length).toBeGreaterThanOrEqual(4);
    for (const [code, name, keyExchange, , encryption] of ciphers) {
      expect(keyExchange, `${code} ${name}`).toMatch(/^(ECDH|DH)$/);
      expect(encryption, `${code} ${name}`).toMatch(/^(AESGCM|ChaCha20|AESCCM)$/);
    }
  });
});
