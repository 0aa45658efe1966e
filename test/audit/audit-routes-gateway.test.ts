import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCheckpoint } from '../../src/audit/checkpoint.js';
import { verifyInclusionProof } from '../../src/audit/merkle-verify.js';
import { runAuditRotateKey } from '../../src/cli/audit-command.js';
import type { AuditCommandIo } from '../../src/cli/audit-command.js';
import { parseNoteVerifierKey } from '../../src/audit/signed-note.js';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { openGatewaySession } from '../support/gateway-staff.js';
import { serialiseLikeMeta, textMessagePayload } from '../support/payloads.js';
import { startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';
import type { EntryAnswer, StatusAnswer } from './support/audit-http.js';

// Pins, on a gateway built by the real composition root: the entries a SIEM reads with an
// audit:read key hold no number, name, email or message text after traffic that carried them;
// the checkpoint a witness fetches verifies under the verifier key the gateway printed at start;
// a key rotated by the CLI is used from the gateway's next checkpoint on, without a restart.

const CUSTOMER_NUMBER = '4915112345678';
const CUSTOMER_NAME = 'Ada Lovelace';
const CUSTOMER_TEXT = 'call me on +49 151 12345678';
const STAFF_EMAIL = 'grace.hopper@example.com';

describe('the audit routes of a running gateway', () => {
  let database: TestDatabase;
  let gateway: TestGateway;
  let auditKey: string;

  beforeAll(async () => {
    database = await createSqliteDatabase();
    gateway = await startTestGateway(database, { runWorkers: false });
    auditKey = (await gateway.rampart.apiKeys.createApiKey('siem', ['audit:read'])).key;
  });
  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
  });

  const read = (path: string) => fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${auditKey}` } });

  it('serves entries about a real contact with its pseudonym only, and nothing the traffic carried', async () => {
    const { rampart } = gateway;
    const message = serialiseLikeMeta(textMessagePayload([{ wamid: `wamid.${crypto.randomUUID()}`, from: CUSTOMER_NUMBER, name: CUSTOMER_NAME, body: CUSTOMER_TEXT }]));
    expect((await gateway.post(message)).status).toBe(200);
    await fetch(`${gateway.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: STAFF_EMAIL, password: 'not the password' }) });
    const contact = await rampart.database.db.selectFrom('contacts').select('id').executeTakeFirstOrThrow();
    // What the inbox writes when someone opens the conversation (through the audited path).
    const staff = await openGatewaySession(rampart, ['supervisor']);
    await rampart.audit.auditedAccess(
      { actor: { type: 'user', id: staff.userId }, action: 'conversation.open', resource: { type: 'conversation', id: contact.id }, subjectContactId: contact.id, sourceAddress: '127.0.0.1' },
      () => 'plaintext read here',
    );

    const response = await read('/api/v1/audit/entries?limit=500');
    expect(response.status).toBe(200);
    const body = await response.text();
    const entries = (JSON.parse(body) as { entries: EntryAnswer[] }).entries;
    expect(entries.find((entry) => entry.action === 'conversation.open')).toMatchObject({ subject: `C-${contact.id.slice(0, 8).toUpperCase()}` });
    expect(entries.map((entry) => entry.action)).toEqual(expect.arrayContaining(['auth.login', 'audit.read']));
    for (const forbidden of [CUSTOMER_NUMBER, CUSTOMER_NUMBER.slice(-8), 'Ada', 'Lovelace', '151 1234', STAFF_EMAIL, 'grace', staff.email]) {
      expect(body, forbidden).not.toContain(forbidden);
    }
    // Times are numbers; no text holds a phone-number-like run of digits, once ids (UUIDs) and pseudonyms (random hex, often all digits) are set aside.
    const texts = collectStrings(JSON.parse(body)).map((text) => text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|^C-[0-9A-F]{8}$/gi, ''));
    expect(texts.filter((text) => /\d{7,}/.test(text))).toEqual([]);
  });

  it('hands witnesses a checkpoint that verifies under the key printed at start, and proofs against it', async () => {
    const { rampart } = gateway;
    await rampart.audit.signCheckpoint();
    const key = parseNoteVerifierKey(rampart.audit.verifierKey!);
    expect(gateway.logs()).toContain(rampart.audit.verifierKey!);

    const note = await (await read('/api/v1/audit/checkpoint')).text();
    const verdict = verifyCheckpoint(note, { origin: key.name, verifierKey: key });
    if (!verdict.isValid) throw new Error(verdict.detail);
    const status = (await (await read('/api/v1/audit/status')).json()) as StatusAnswer;
    expect(status.latestCheckpoint).toMatchObject({ treeSize: verdict.checkpoint.size, keyName: key.name, note });

    const seq = verdict.checkpoint.size - 1;
    const proof = (await (await read(`/api/v1/audit/proofs/inclusion?seq=${seq}&treeSize=${verdict.checkpoint.size}`)).json()) as { leafHash: string; hashes: string[] };
    const claim = { leafHash: Buffer.from(proof.leafHash, 'base64'), leafIndex: seq, treeSize: verdict.checkpoint.size, rootHash: verdict.checkpoint.rootHash, proof: proof.hashes.map((hash) => Buffer.from(hash, 'base64')) };
    expect(verifyInclusionProof(claim)).toEqual({ isValid: true });
  });

  it('switches to a key rotated by `rampart audit rotate-key` at its next checkpoint, names it, and still verifies intact', async () => {
    const { rampart } = gateway;
    const oldKey = rampart.audit.verifierKey!;
    const output = { stdout: '', stderr: '' };
    const io: AuditCommandIo = {
      env: { RAMPART_DATA_DIR: database.dataDir, RAMPART_MASTER_KEY: gateway.secrets.masterKey, WHATSAPP_APP_SECRET: gateway.secrets.appSecret, WHATSAPP_VERIFY_TOKEN: gateway.secrets.verifyToken },
      stdout: { write: (chunk) => Boolean((output.stdout += chunk)), once: () => undefined },
      stderr: { write: (chunk) => (output.stderr += chunk) },
      setExitCode: () => undefined,
      exit: (code) => {
        throw new Error(`exit ${code}`);
      },
    };
    expect(await runAuditRotateKey({}, io), output.stderr).toBe(0);
    const newKey = /^new verifier key: (\S+)$/m.exec(output.stdout)?.[1] as string;
    expect(newKey).not.toBe(oldKey);

    await rampart.audit.append({ actor: { type: 'system', id: 'test' }, action: 'test.after-rotation', resource: { type: 'test', id: 'one' }, outcome: 'success' });
    const signed = await rampart.audit.signCheckpoint();
    expect(signed).toMatchObject({ signingKeyVersion: 2 });
    expect(rampart.audit.verifierKey).toBe(newKey);
    expect(gateway.logs()).toContain('audit checkpoints are now signed with a new key version');
    const status = (await (await read('/api/v1/audit/status')).json()) as StatusAnswer;
    expect(status.latestCheckpoint).toMatchObject({ treeSize: signed!.treeSize, keyVersion: 2, verifierKey: newKey });
    expect(await rampart.audit.listTrustedVerifierKeys()).toEqual([oldKey, newKey]);

    const admin = await openGatewaySession(rampart, ['admin']);
    const started = await fetch(`${gateway.url}/api/v1/audit/verify`, { method: 'POST', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken } });
    expect(started.status).toBe(202);
    let verification: StatusAnswer['verification'];
    do {
      verification = ((await (await read('/api/v1/audit/status')).json()) as StatusAnswer).verification;
    } while (verification.state === 'running');
    expect(verification).toMatchObject({ state: 'intact' });
  });

  it('verifies against the deployment\'s own key, so a verifier key replaced in the database is caught', async () => {
    const { rampart } = gateway;
    const admin = await openGatewaySession(rampart, ['admin']);
    await rampart.database.db.updateTable('audit_head').set({ verifier_key: 'rampart/forged/audit+00000000+AQ==' }).execute();
    const started = await fetch(`${gateway.url}/api/v1/audit/verify`, { method: 'POST', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken } });
    expect(started.status).toBe(202);
    let status: StatusAnswer;
    do {
      status = (await (await read('/api/v1/audit/status')).json()) as StatusAnswer;
    } while (status.verification.state === 'running');
    expect(status.verification).toMatchObject({ state: 'broken', firstBadSeq: null });
    expect(status.verification.message).toMatch(/^verifier-key-replaced/);
  });
});

function collectStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(collectStrings);
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([key, child]) => [key, ...collectStrings(child)]);
  return [];
}
