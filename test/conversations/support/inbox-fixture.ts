import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { listAuditEntries } from '../../../src/audit/audit-repository.js';
import type { StoredAuditEntry } from '../../../src/audit/audit-repository.js';
import { createEventStore } from '../../../src/conversations/event-store.js';
import { createInboxSlice } from '../../../src/conversations/inbox-slice.js';
import { createMediaReaction } from '../../../src/conversations/media-fetch.js';
import type { Database } from '../../../src/db/database.js';
import { registerApi } from '../../../src/http/api-plugin.js';
import { createApp } from '../../../src/http/create-app.js';
import { normaliseWebhook } from '../../../src/ingress/normalise.js';
import { parseWebhookPayload } from '../../../src/ingress/webhook-schema.js';
import { createLogger } from '../../../src/logger.js';
import { createSendService } from '../../../src/outbound/send-service.js';
import { createOutboundStatusReaction } from '../../../src/outbound/status-reaction.js';
import { createTemplateCatalog } from '../../../src/outbound/template-catalog.js';
import { createConsentReaction } from '../../../src/privacy/consent-slice.js';
import { version } from '../../../src/version.js';
import type { TestDatabase } from '../../support/databases.js';
import { serialiseLikeMeta } from '../../support/payloads.js';
import { startIdentityApp } from '../../identity/support/identity-app.js';
import type { IdentityApp } from '../../identity/support/identity-app.js';
import { createStaff, openSession, sendWithSession } from '../../identity/support/staff.js';
import type { TestSession } from '../../identity/support/staff.js';

export const PHONE_NUMBER_ID = '106540352242922';

export interface InboxFixture {
  /** The identity harness: its app's inbox has no Cloud API configured (replies answer SENDING_NOT_CONFIGURED). */
  harness: IdentityApp;
  /** The same database, keys, identity and audit log behind an app whose inbox can send (the worker never runs). */
  sending: IdentityApp;
  database: Database;
  /** Everything the sending app logged (info level and up). */
  logs(): string;
  close(): Promise<void>;
}

/**
 * The identity harness, plus a second HTTP app over the same stores whose send service has a
 * business number: the harness builds its outbound slice without a Graph client, so its inbox can
 * never queue a reply. Nothing is sent to Meta: no worker runs.
 */
export async function startInboxFixture(testDatabase: TestDatabase): Promise<InboxFixture> {
  const harness = await startIdentityApp(testDatabase);
  const { clock, database, keys, index, audit, config, apiKeys, identity } = harness;
  const sends = createSendService({
    database,
    keys,
    index,
    clock,
    templates: createTemplateCatalog({ listTemplates: null, clock }),
    phoneNumberId: PHONE_NUMBER_ID,
    verifiedDomains: [],
    onQueued: () => undefined,
  });
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  const inbox = createInboxSlice({ config, clock, database, keys, index, audit, sends });
  const app = await createApp({
    config,
    logger: createLogger('info', sink),
    readinessChecks: [],
    registerRoutes: async (root) => {
      await registerApi(root, {
        apiKeys,
        identity: identity.guard,
        version,
        registerRoutes: async (api) => {
          await identity.registerRoutes(api);
          await inbox.registerRoutes(api);
        },
      });
    },
  });
  await app.ready();
  return {
    harness,
    sending: { ...harness, app },
    database,
    logs: () => Buffer.concat(chunks).toString('utf8'),
    close: async () => {
      await app.close();
      await harness.close();
    },
  };
}

/** A customer number nobody else in the suite uses (digits, as Meta's wa_id). */
export function newCustomerNumber(): string {
  return `49151${randomBytes(4).readUInt32BE(0).toString().padStart(10, '0').slice(0, 8)}`;
}

export interface CustomerMessage {
  from: string;
  name?: string;
  /** Seconds since the epoch, as Meta sends it (default: a minute before the fixture's clock). */
  timestamp?: number;
  /** The type-specific part, e.g. `{ type: 'text', text: { body } }`. */
  message: Record<string, unknown>;
  wamid?: string;
}

export function textMessage(body: string): Record<string, unknown> {
  return { type: 'text', text: { body } };
}

/**
 * Stores customer messages the way the ingress does: Meta's JSON as it is signed, the webhook
 * schema, normalisation, and the event store with the consent, media and status reactions, in one
 * transaction. Returns the wamids.
 */
export async function receiveFromCustomers(harness: IdentityApp, messages: readonly CustomerMessage[]): Promise<string[]> {
  const defaultSeconds = Math.floor(harness.clock.now() / 1000) - 60;
  const wamids = messages.map((message) => message.wamid ?? `wamid.${randomUUID()}`);
  const payload = messagesWebhook({
    contacts: messages.map((message) => ({ profile: { name: message.name ?? 'Customer' }, wa_id: message.from })),
    messages: messages.map((message, position) => ({
      from: message.from,
      id: wamids[position],
      timestamp: String(message.timestamp ?? defaultSeconds),
      ...message.message,
    })),
  });
  await storeWebhook(harness, payload);
  return wamids;
}

/** A status webhook about a message the business sent (Meta's wamid for it). */
export async function receiveStatus(harness: IdentityApp, status: { wamid: string; status: string; recipient: string; errors?: unknown[] }): Promise<void> {
  await storeWebhook(
    harness,
    messagesWebhook({
      statuses: [
        {
          id: status.wamid,
          status: status.status,
          timestamp: String(Math.floor(harness.clock.now() / 1000)),
          recipient_id: status.recipient,
          ...(status.errors ? { errors: status.errors } : {}),
        },
      ],
    }),
  );
}

async function storeWebhook(harness: IdentityApp, payload: object): Promise<void> {
  const { keys, index, clock, config, database } = harness;
  const store = createEventStore({ keys, index, clock, reactions: [createConsentReaction({ config, clock }), createOutboundStatusReaction({ clock }), createMediaReaction({ clock })] });
  const parsed = parseWebhookPayload(JSON.parse(serialiseLikeMeta(payload)));
  if (!parsed.ok) throw new Error(`the test built an invalid webhook: ${parsed.reason}`);
  await database.db.transaction().execute((trx) => store.storeBatch(trx, [normaliseWebhook(parsed.payload)]));
}

function messagesWebhook(value: object): object {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID }, ...value } }],
      },
    ],
  };
}

/** The contact id (= conversation id) of a customer number, by blind index as the app finds it. */
export async function conversationIdOf(harness: IdentityApp, customer: string): Promise<string> {
  const row = await harness.database.db.selectFrom('contacts').select('id').where('lookup_index', '=', harness.index.phone(customer)).executeTakeFirstOrThrow();
  return row.id;
}

export interface SignedInStaff {
  userId: string;
  session: TestSession;
}

/** A user of these roles with an active session (MFA done now); `displayName` makes replies recognisable. */
export async function signInStaff(harness: IdentityApp, roleIds: string[], displayName?: string): Promise<SignedInStaff> {
  const staff = await createStaff(harness, { roleIds });
  if (displayName) await harness.database.db.updateTable('users').set({ display_name: displayName }).where('id', '=', staff.userId).execute();
  return { userId: staff.userId, session: await openSession(harness, staff.userId) };
}

/** A request as the dashboard sends it, through `app` (the harness or the sending app). */
export function request(app: IdentityApp, staff: SignedInStaff, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse> {
  return sendWithSession(app, staff.session, { method, url, ...(payload === undefined ? {} : { payload }), ...(headers ? { headers } : {}) });
}

/** The audit entries appended since `fromSeq`. */
export async function auditEntriesSince(harness: IdentityApp, fromSeq: number): Promise<StoredAuditEntry[]> {
  return listAuditEntries(harness.database.db, { fromSeq, limit: 1_000 });
}

export async function auditSize(harness: IdentityApp): Promise<number> {
  return (await harness.audit.readTreeHead()).size;
}

/** Makes audit_entries refuse inserts (a full disk, a revoked grant); returns the undo. */
export async function makeAuditUnwritable(database: Database): Promise<() => Promise<void>> {
  if (database.dialect === 'sqlite') {
    await sql`create trigger inbox_audit_read_only before insert on audit_entries begin select raise(abort, 'read-only'); end`.execute(database.db);
    return async () => void (await sql`drop trigger if exists inbox_audit_read_only`.execute(database.db));
  }
  await sql`create function inbox_audit_read_only() returns trigger language plpgsql as $$ begin raise exception 'read-only'; end $$`.execute(database.db);
  await sql`create trigger inbox_audit_read_only before insert on audit_entries for each row execute function inbox_audit_read_only()`.execute(database.db);
  return async () => {
    await sql`drop trigger if exists inbox_audit_read_only on audit_entries`.execute(database.db);
    await sql`drop function if exists inbox_audit_read_only()`.execute(database.db);
  };
}
