import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretNames, settingNames } from '../../src/config/config-schema.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { startIdentityApp } from '../identity/support/identity-app.js';
import type { IdentityApp } from '../identity/support/identity-app.js';
import { createStaff, openSession, sendWithSession } from '../identity/support/staff.js';

// Pins: the settings page lists every setting and never reveals a secret, nor the credentials
// inside a URL or a forwarding endpoint's secret and path.

interface SettingAnswer {
  name: string;
  value: string | null;
  isSecret: boolean;
  isSet: boolean;
  isDefault: boolean;
  description: string;
}

const MASTER_KEY = randomBytes(32).toString('base64');
const ACCESS_TOKEN = `EAAG${randomBytes(24).toString('hex')}`;
const REDIS_PASSWORD = `redis-${randomBytes(12).toString('hex')}`;
const GRAPH_PASSWORD = `graph-${randomBytes(12).toString('hex')}`;
const FORWARD_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const FORWARD_PATH_TOKEN = `hook-${randomBytes(12).toString('hex')}`;

describe('GET /api/v1/settings', () => {
  let database: TestDatabase;
  let app: IdentityApp;
  let settings: Map<string, SettingAnswer>;
  let body: string;
  let groups: { name: string; settings: SettingAnswer[] }[];

  beforeAll(async () => {
    database = await createSqliteDatabase();
    app = await startIdentityApp(database, {
      overrides: {
        RAMPART_MASTER_KEY: MASTER_KEY,
        WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
        WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
        RAMPART_REDIS_URL: `redis://default:${REDIS_PASSWORD}@127.0.0.1:6390/0`,
        WHATSAPP_GRAPH_URL: `https://meta-proxy:${GRAPH_PASSWORD}@graph.example.com/base?token=${GRAPH_PASSWORD}`,
        RAMPART_FORWARD_ENDPOINTS: JSON.stringify([{ name: 'crm', url: `https://crm.example.com/in/${FORWARD_PATH_TOKEN}`, secret: FORWARD_SECRET, events: ['message.received'] }]),
        RAMPART_RATE_LIMIT_PER_MINUTE: '300000',
      },
    });
    const admin = await createStaff(app, { roleIds: ['admin'] });
    const response = await sendWithSession(app, await openSession(app, admin.userId), { method: 'GET', url: '/api/v1/settings' });
    expect(response.statusCode).toBe(200);
    body = response.body;
    groups = (response.json() as { groups: typeof groups }).groups;
    settings = new Map(groups.flatMap((group) => group.settings).map((setting) => [setting.name, setting]));
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('lists every setting once, grouped, each with a description', () => {
    const listed = groups.flatMap((group) => group.settings.map((setting) => setting.name));
    expect([...listed].sort()).toEqual([...settingNames].sort());
    for (const setting of settings.values()) expect(setting.description.length, setting.name).toBeGreaterThan(10);
    expect(groups.map((group) => group.name)).toContain('WhatsApp Cloud API');
  });

  it('never contains a secret value, set or generated, nor the credentials of a URL or a forwarding endpoint', () => {
    const given = [app.config.whatsapp.appSecret.reveal(), app.config.whatsapp.verifyToken.reveal(), MASTER_KEY];
    for (const secret of [...given, ACCESS_TOKEN, REDIS_PASSWORD, GRAPH_PASSWORD, FORWARD_SECRET, FORWARD_SECRET.slice(6), FORWARD_PATH_TOKEN, 'meta-proxy']) {
      expect(body).not.toContain(secret);
    }
    for (const name of secretNames) {
      expect(settings.get(name), name).toMatchObject({ isSecret: true, value: null });
    }
    expect(settings.get('WHATSAPP_APP_SECRET')).toMatchObject({ isSet: true, isDefault: false });
    expect(settings.get('WHATSAPP_ACCESS_TOKEN')).toMatchObject({ isSet: true });
    expect(settings.get('RAMPART_REDIS_URL')).toMatchObject({ value: 'redis://127.0.0.1:6390/0', isSet: true, isSecret: false });
    expect(settings.get('WHATSAPP_GRAPH_URL')).toMatchObject({ value: 'https://graph.example.com/base', isSet: true, isDefault: false });
    expect(settings.get('RAMPART_FORWARD_ENDPOINTS')?.value).toBe('crm → https://crm.example.com (message.received)');
  });

  it('tells set values from defaults, showing the value in effect', () => {
    expect(settings.get('RAMPART_PORT')).toMatchObject({ value: '0', isSet: true, isDefault: false, isSecret: false });
    expect(settings.get('RAMPART_HOST')).toMatchObject({ value: '127.0.0.1', isSet: false, isDefault: true });
    expect(settings.get('RAMPART_RATE_LIMIT_PER_MINUTE')).toMatchObject({ value: '300000', isSet: true, isDefault: true });
    expect(settings.get('RAMPART_WORKERS')).toMatchObject({ value: 'true', isSet: false, isDefault: true });
    expect(settings.get('RAMPART_TLS_CERT_FILE')).toMatchObject({ value: null, isSet: false, isDefault: true });
    expect(settings.get('RAMPART_IP_ALLOWLIST')).toMatchObject({ value: null, isSet: false });
  });

  it('shows generated sandbox secrets as set, without their values', async () => {
    const sandbox = await createSqliteDatabase();
    try {
      const config = loadConfig({ env: {}, overrides: { RAMPART_DATA_DIR: sandbox.dataDir, RAMPART_SANDBOX: 'true' } });
      const overview = new Map(config.settingsOverview.flatMap((group) => group.settings).map((setting) => [setting.name, setting]));
      expect(overview.get('RAMPART_MASTER_KEY')).toMatchObject({ isSet: true, value: null });
      expect(overview.get('WHATSAPP_APP_SECRET')).toMatchObject({ isSet: true, value: null });
      const generated = JSON.parse(readFileSync(config.generatedSecretsPath!, 'utf8')) as Record<string, string>;
      const text = JSON.stringify(config.settingsOverview);
      for (const secret of Object.values(generated)) expect(text).not.toContain(secret);
    } finally {
      await sandbox.drop();
    }
  });
});
