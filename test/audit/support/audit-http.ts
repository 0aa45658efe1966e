/** Reading the audit routes as the dashboard does, for the audit route tests. */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { AuditEntryInput } from '../../../src/audit/audit-entry.js';
import { signCheckpointIfGrown } from '../../../src/audit/audit-checkpointer.js';
import type { StoredCheckpoint } from '../../../src/audit/audit-repository.js';
import { loadAuditSigner } from '../../../src/audit/audit-signer.js';
import type { AuditSigner } from '../../../src/audit/audit-signer.js';
import type { NoteSigner } from '../../../src/audit/signed-note.js';
import { createKmsProvider } from '../../../src/crypto/kms-factory.js';
import type { KmsProvider } from '../../../src/crypto/kms.js';
import type { IdentityApp } from '../../identity/support/identity-app.js';
import { sendWithSession } from '../../identity/support/staff.js';
import type { TestSession } from '../../identity/support/staff.js';
import { silentLogger } from './audit-fixture.js';

export interface VerificationAnswer {
  state: 'intact' | 'broken' | 'running' | 'never-run';
  checkedAt: number | null;
  checkedSize: number | null;
  firstBadSeq: number | null;
  message: string | null;
}

export interface StatusAnswer {
  treeSize: number;
  rootHash: string;
  latestCheckpoint: { treeSize: number; rootHash: string; signedAt: number; keyName: string; keyVersion: number | null; verifierKey: string | null; note: string } | null;
  signingKeys: { version: number; verifierKey: string | null; createdAt: number; retiredAt: number | null; retiredAtTreeSize: number | null }[];
  verification: VerificationAnswer;
}

export interface EntryAnswer {
  seq: number;
  occurredAt: number;
  actor: { type: string; id: string; label?: string };
  action: string;
  resource: { type: string; id: string } | null;
  subject: string | null;
  sourceAddress: string | null;
  outcome: string;
  details: Record<string, unknown>;
}

export async function getJson<T>(app: IdentityApp, session: TestSession, url: string): Promise<T> {
  const response = await sendWithSession(app, session, { method: 'GET', url });
  expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
  return response.json() as T;
}

/** Polls the status until no verification is running (the status read itself may start one). */
export async function waitForVerification(app: IdentityApp, session: TestSession): Promise<StatusAnswer> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const status = await getJson<StatusAnswer>(app, session, '/api/v1/audit/status');
    if (status.verification.state !== 'running') return status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the verification did not finish');
}

export async function startVerification(app: IdentityApp, session: TestSession): Promise<VerificationAnswer> {
  const response = await sendWithSession(app, session, { method: 'POST', url: '/api/v1/audit/verify' });
  expect(response.statusCode, response.body).toBe(202);
  return response.json() as VerificationAnswer;
}

const openKmss: KmsProvider[] = [];

/**
 * The harness's log has no signer (it only appends); this one signs checkpoints into the same
 * tables, as the gateway's checkpointer does, with the app's own KMS configuration (its keyring).
 */
export async function createCheckpointSigner(app: IdentityApp): Promise<{ signer: NoteSigner; auditSigner: AuditSigner; kms: KmsProvider; sign(): Promise<StoredCheckpoint | null> }> {
  const kms = await createKmsProvider(app.config, { clock: app.clock });
  openKmss.push(kms);
  const auditSigner = await loadAuditSigner({ db: app.database.db, kms, logger: silentLogger, clock: app.clock });
  return {
    signer: auditSigner.current().signer,
    auditSigner,
    kms,
    sign: () => signCheckpointIfGrown({ db: app.database.db, dialect: app.database.dialect, signer: auditSigner, clock: app.clock }),
  };
}

/** Closes the KMS handles `createCheckpointSigner` opened (call after each test). */
export async function closeCheckpointSigners(): Promise<void> {
  for (const kms of openKmss.splice(0)) await kms.close();
}

/** An agent opening a conversation: the kind of entry the inbox writes, about a contact (a random UUID). */
export function conversationOpened(contactId: string, overrides: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    actor: { type: 'user', id: randomUUID() },
    action: 'conversation.open',
    resource: { type: 'conversation', id: contactId },
    subjectContactId: contactId,
    sourceAddress: '203.0.113.7',
    requestId: `req-${randomUUID()}`,
    outcome: 'success',
    details: { messages: 3 },
    ...overrides,
  };
}

export async function countEntries(app: IdentityApp, action?: string): Promise<number> {
  let query = app.database.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll<number | string>().as('count'));
  if (action) query = query.where('action', '=', action);
  return Number((await query.executeTakeFirstOrThrow()).count);
}
