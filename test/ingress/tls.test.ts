import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { connect } from 'node:tls';
import type { ConnectionOptions, SecureVersion } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { buildTestConfig, createTestSecrets, startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';
import { noteSkippedWhen } from '../support/skip-notice.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const missingOpensslMessage = 'skipped: the openssl CLI is not on PATH (it generates the self-signed test certificate)';

interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

/** A throwaway self-signed certificate for localhost, made with the openssl CLI. */
function generateCertificate(directory: string, keyArguments: readonly string[]): CertificateFiles {
  const files = { certFile: path.join(directory, 'cert.pem'), keyFile: path.join(directory, 'key.pem') };
  const result = spawnSync(
    'openssl',
    ['req', '-x509', ...keyArguments, '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', files.keyFile, '-out', files.certFile],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`openssl failed: ${result.stderr}`);
  return files;
}

type HandshakeResult = { ok: true; protocol: string | null; cipher: string } | { ok: false; error: string };

function handshake(port: number, options: Omit<ConnectionOptions, 'host' | 'port'>): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ...options });
    socket.once('secureConnect', () => {
      resolve({ ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
      socket.end();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, error: `${error.code ?? ''} ${error.message}` }));
  });
}

/** Lets our client offer old protocols and weak suites, so a refusal is the server's doing. */
function legacyClient(maxVersion: SecureVersion): Omit<ConnectionOptions, 'host' | 'port'> {
  return { minVersion: 'TLSv1', maxVersion, ciphers: 'DEFAULT@SECLEVEL=0' };
}

const keyTypes = [
  { name: 'ECDSA P-256', keyArguments: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'], hasRsaKey: false },
  // RSA makes the non-forward-secret test meaningful: RSA key exchange would work with this key if allowed.
  { name: 'RSA 2048', keyArguments: ['-newkey', 'rsa:2048'], hasRsaKey: true },
];

describe.skipIf(!hasOpenssl).each(keyTypes)('TLS with an $name certificate', ({ keyArguments, hasRsaKey }) => {
  let database: TestDatabase;
  let gateway: TestGateway;
  let port: number;

  beforeAll(async () => {
    database = await createSqliteDatabase();
    const certificate = generateCertificate(database.dataDir, keyArguments);
    gateway = await startTestGateway(database, {
      overrides: { RAMPART_TLS_CERT_FILE: certificate.certFile, RAMPART_TLS_KEY_FILE: certificate.keyFile },
    });
    port = Number(new URL(gateway.url).port);
  });
  afterAll(async () => {
    await gateway?.close();
    if (database) rmSync(database.dataDir, { recursive: true, force: true });
  });

  it('completes a TLS 1.3 handshake', async () => {
    expect(await handshake(port, { minVersion: 'TLSv1.3' })).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
  });

  it('completes a TLS 1.2 handshake with a forward-secret ECDHE suite', async () => {
    const result = await handshake(port, { maxVersion: 'TLSv1.2' });
    expect(result).toMatchObject({ ok: true, protocol: 'TLSv1.2' });
    expect(result.ok && result.cipher).toMatch(/^ECDHE-/);
  });

  it.each(['TLSv1.1', 'TLSv1'] as const)('refuses a client that offers at most %s', async (version) => {
    const result = await handshake(port, legacyClient(version));
    expect(result.ok).toBe(false);
    // An alert from the server, not our client declining to offer the protocol.
    expect(!result.ok && result.error).toMatch(/ALERT_PROTOCOL_VERSION/);
  });

  it.runIf(hasRsaKey)('refuses a TLS 1.2 client that offers only a non-forward-secret suite', async () => {
    const result = await handshake(port, { ...legacyClient('TLSv1.2'), ciphers: 'AES128-GCM-SHA256:@SECLEVEL=0' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/ALERT_HANDSHAKE_FAILURE/);
  });

  it('sends Strict-Transport-Security over TLS', async () => {
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const call = request({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false }, (response) => {
        response.resume();
        resolve(response.headers);
      });
      call.on('error', reject);
      call.end();
    });
    expect(headers['strict-transport-security']).toMatch(/max-age=\d+; includeSubDomains/);
  });
});

noteSkippedWhen(!hasOpenssl, 'TLS', missingOpensslMessage);

describe('TLS configuration', () => {
  let database: TestDatabase;
  let certificate: CertificateFiles;

  beforeAll(async () => {
    database = await createSqliteDatabase();
    // The config checks only that the files exist; the server reads them later.
    certificate = { certFile: path.join(database.dataDir, 'cert.pem'), keyFile: path.join(database.dataDir, 'key.pem') };
    writeFileSync(certificate.certFile, 'placeholder');
    writeFileSync(certificate.keyFile, 'placeholder');
  });
  afterAll(() => {
    rmSync(database.dataDir, { recursive: true, force: true });
  });

  function configProblem(overrides: Record<string, string>): string {
    try {
      buildTestConfig(database, createTestSecrets(), overrides);
    } catch (error) {
      if (isAppError(error) && error.code === 'CONFIG_INVALID') return error.message;
      throw error;
    }
    throw new Error('the configuration was accepted');
  }

  it('refuses a certificate without a key, naming both settings', () => {
    const message = configProblem({ RAMPART_TLS_CERT_FILE: certificate.certFile });
    expect(message).toContain('RAMPART_TLS_CERT_FILE');
    expect(message).toContain('RAMPART_TLS_KEY_FILE');
  });

  it('refuses a TLS file that does not exist, naming the file', () => {
    const missing = path.join(database.dataDir, 'no-such-cert.pem');
    const message = configProblem({ RAMPART_TLS_CERT_FILE: missing, RAMPART_TLS_KEY_FILE: certificate.keyFile });
    expect(message).toContain(missing);
  });
});
