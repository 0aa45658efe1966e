import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { serialiseLikeMeta, textMessagePayload } from '../support/payloads.js';
import { startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';

/**
 * The ingress suite runs with the default local keyring, and again with `RAMPART_TEST_KMS=pkcs11`
 * (`npm run test:ingress:softhsm`) against a SoftHSM2 token. This file proves which one a run used.
 */
const expectedProvider = process.env.RAMPART_TEST_KMS === 'pkcs11' ? 'pkcs11' : 'local';

describe(`the ingress suite's KMS (${expectedProvider})`, () => {
  let database: TestDatabase;
  let gateway: TestGateway;

  beforeAll(async () => {
    database = await createSqliteDatabase();
    gateway = await startTestGateway(database);
  });
  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
  });

  it(`wraps every key a webhook needs with the ${expectedProvider} provider, and reads the message back`, async () => {
    const from = '4915112345601';
    const response = await gateway.post(serialiseLikeMeta(textMessagePayload([{ wamid: 'wamid.kms-provider-1', from, body: 'which KMS?' }])));
    expect(response.status).toBe(200);
    const keys = await gateway.rampart.database.db.selectFrom('data_keys').select(['kek_provider']).execute();
    const material = await gateway.rampart.database.db.selectFrom('key_material').select(['kek_provider']).execute();
    expect(keys.length).toBeGreaterThan(0);
    expect(new Set([...keys, ...material].map((row) => row.kek_provider))).toEqual(new Set([expectedProvider]));
    const contact = await gateway.rampart.reader.findContactByPhone(`+${from}`);
    expect(contact?.waId).toBe(from);
  });
});
