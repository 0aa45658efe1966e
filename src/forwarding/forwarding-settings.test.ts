import { describe, expect, it } from 'vitest';
import { forwardingSettingsSchema, resolveForwardingSettings } from './forwarding-settings.js';
import type { ForwardingSettings } from './forwarding-settings.js';
import { generateWebhookSecret } from './webhook-secret.js';

const crmSecret = generateWebhookSecret().reveal();
const oldSecret = generateWebhookSecret().reveal();
const newSecret = generateWebhookSecret().reveal();

/** Parses like the config loader does: every issue as `path: message`. */
function parseSettings(raw: Record<string, string>): { settings: ForwardingSettings | null; problems: string[] } {
  const parsed = forwardingSettingsSchema.safeParse(raw);
  if (parsed.success) return { settings: parsed.data, problems: [] };
  return { settings: null, problems: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) };
}

function endpointsSetting(entries: unknown[]): Record<string, string> {
  return { RAMPART_FORWARD_ENDPOINTS: JSON.stringify(entries) };
}

const files: Record<string, string> = {
  '/run/secrets/rotating': `# old secret, remove after the receiver has moved\n${oldSecret}\n\n${newSecret}\n`,
  '/run/secrets/one': `${crmSecret}\n`,
  '/run/secrets/empty': '\n# nothing yet\n',
  '/run/secrets/bad-line': `${crmSecret}\nwhsec_${'A'.repeat(12)}\n`,
};
const readTextFile = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
  return text;
};

function resolveFrom(raw: Record<string, string>) {
  const { settings, problems } = parseSettings(raw);
  expect(problems).toEqual([]);
  return resolveForwardingSettings(settings!, { readTextFile });
}

describe('forwarding settings', () => {
  it('are optional: no endpoints, no allowlist', () => {
    expect(resolveFrom({})).toEqual({ config: { endpoints: [], allowedDestinations: [] }, problems: [] });
  });

  it('turn a JSON list into endpoints, with defaults for events (*) and allowHttp (false)', () => {
    const { config, problems } = resolveFrom({
      ...endpointsSetting([
        { name: 'crm', url: 'https://crm.example.com/hooks/rampart?tenant=7', secret: crmSecret, events: ['message.received'] },
        { name: 'audit-sink', url: 'http://sink.internal:8080/in', secretFile: '/run/secrets/rotating', allowHttp: true },
      ]),
      RAMPART_FORWARD_ALLOWED_HOSTS: 'sink.internal, 10.20.0.0/16 ,fd00::/8',
    });
    expect(problems).toEqual([]);
    expect(config.allowedDestinations).toEqual(['sink.internal', '10.20.0.0/16', 'fd00::/8']);
    const [crm, sink] = config.endpoints;
    expect(crm).toMatchObject({ name: 'crm', url: 'https://crm.example.com/hooks/rampart?tenant=7', eventTypes: ['message.received'], isHttpAllowed: false });
    expect(crm?.secrets.map((secret) => secret.reveal())).toEqual([crmSecret]);
    expect(sink).toMatchObject({ name: 'audit-sink', eventTypes: ['*'], isHttpAllowed: true });
  });

  it('read every whsec_ line of a secret file, skipping blank lines and comments (rotation)', () => {
    const { config } = resolveFrom(endpointsSetting([{ name: 'crm', url: 'https://crm.example.com/', secretFile: '/run/secrets/rotating' }]));
    expect(config.endpoints[0]?.secrets.map((secret) => secret.reveal())).toEqual([oldSecret, newSecret]);
  });

  it('refuse text that is not JSON without quoting it (it may hold a secret)', () => {
    const raw = `[{"name":"crm","url":"https://crm.example.com/","secret":"${crmSecret}"`;
    const { problems } = parseSettings({ RAMPART_FORWARD_ENDPOINTS: raw });
    expect(problems).toEqual(['RAMPART_FORWARD_ENDPOINTS: must be a JSON list of endpoints (it is not valid JSON)']);
  });

  it('refuse malformed entries, naming the setting, entry and field but never the secret', () => {
    const shortSecret = `whsec_${Buffer.alloc(16, 7).toString('base64')}`;
    const { problems } = parseSettings(
      endpointsSetting([
        { name: 'crm', url: 'https://crm.example.com/', secret: crmSecret, secretfile: '/typo' },
        { name: 'both', url: 'https://b.example.com/', secret: crmSecret, secretFile: '/run/secrets/one' },
        { name: 'neither', url: 'https://n.example.com/' },
        { name: 'short', url: 'https://s.example.com/', secret: shortSecret },
        { name: 'plain', url: 'http://p.example.com/', secret: crmSecret },
        { name: 'creds', url: 'https://user:pw@c.example.com/', secret: crmSecret },
        { name: 'Upper Case', url: 'https://u.example.com/', secret: crmSecret },
        { name: 'types', url: 'https://t.example.com/', secret: crmSecret, events: ['message received'] },
        { name: 'crm', url: 'https://again.example.com/', secret: crmSecret },
      ]),
    );
    expect(problems).toEqual([
      'RAMPART_FORWARD_ENDPOINTS.0: Unrecognized key: "secretfile"',
      'RAMPART_FORWARD_ENDPOINTS.1.secret: give exactly one of secret or secretFile',
      'RAMPART_FORWARD_ENDPOINTS.2.secret: give exactly one of secret or secretFile',
      'RAMPART_FORWARD_ENDPOINTS.3.secret: decodes to 16 bytes; 24–64 are required (generate 32)',
      'RAMPART_FORWARD_ENDPOINTS.4.url: must be https:// (http:// only with "allowHttp": true, for development on a trusted network)',
      'RAMPART_FORWARD_ENDPOINTS.5.url: must not contain credentials (user:password@); authenticate with the signature',
      'RAMPART_FORWARD_ENDPOINTS.6.name: must be 1–63 lower-case letters, digits, - or _',
      'RAMPART_FORWARD_ENDPOINTS.7.events.0: must be * or dotted words such as message.received',
      'RAMPART_FORWARD_ENDPOINTS.8.name: is used by an earlier endpoint',
    ]);
    const all = problems.join('\n');
    expect(all).not.toContain(crmSecret.slice(6));
    expect(all).not.toContain(shortSecret.slice(6));
  });

  it('refuse a secret file that is missing, empty or has a bad line, naming file and line only', () => {
    const { problems } = resolveFrom(
      endpointsSetting([
        { name: 'missing', url: 'https://m.example.com/', secretFile: '/run/secrets/nope' },
        { name: 'empty', url: 'https://e.example.com/', secretFile: '/run/secrets/empty' },
        { name: 'badline', url: 'https://b.example.com/', secretFile: '/run/secrets/bad-line' },
      ]),
    );
    expect(problems).toEqual([
      'RAMPART_FORWARD_ENDPOINTS[missing].secretFile: /run/secrets/nope cannot be read',
      'RAMPART_FORWARD_ENDPOINTS[empty].secretFile: /run/secrets/empty must hold 1–10 whsec_ secrets, one per line (it holds 0)',
      'RAMPART_FORWARD_ENDPOINTS[badline].secretFile: line 2 of /run/secrets/bad-line decodes to 9 bytes; 24–64 are required (generate 32)',
    ]);
    expect(problems.join('\n')).not.toContain('AAAAAAAAAA');
  });

  it('refuse an address-literal URL in an internal range unless that range is allowlisted', () => {
    const entries = endpointsSetting([{ name: 'local', url: 'https://10.20.30.40/hook', secret: crmSecret }]);
    expect(resolveFrom(entries).problems).toEqual([
      'RAMPART_FORWARD_ENDPOINTS[local].url: 10.20.30.40 (private): an internal address; add the host or its range to RAMPART_FORWARD_ALLOWED_HOSTS if this is intended',
    ]);
    expect(resolveFrom({ ...entries, RAMPART_FORWARD_ALLOWED_HOSTS: '10.20.0.0/16' }).problems).toEqual([]);
  });

  it('refuse allowlist entries that are neither exact host names nor standard addresses or ranges', () => {
    const { problems } = resolveFrom({ RAMPART_FORWARD_ALLOWED_HOSTS: 'crm.internal,010.0.0.1,10/8,0x7f.1,2130706433,*.example.com,host:8080,https://x.example,10.0.0.0/33,ok-host' });
    expect(problems).toEqual([
      'RAMPART_FORWARD_ALLOWED_HOSTS: not a host name, IP address or CIDR range: 010.0.0.1, 10/8, 0x7f.1, 2130706433, *.example.com, host:8080, https://x.example, 10.0.0.0/33',
    ]);
  });
});
