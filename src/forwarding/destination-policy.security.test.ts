/**
 * Pins the SSRF policy: forwarding never connects to an internal address the operator did not
 * allowlist, however the address is spelled or resolved, and connects only to the address it
 * vetted. Leaks guarded: cloud metadata (169.254.169.254), loopback admin ports, private networks
 * reached through a configured URL, DNS answers, odd IP notations, redirects or DNS rebinding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { isAppError } from '../errors.js';
import type { AddressClass } from './address-class.js';
import { parseDestinationAllowlist } from './destination-allowlist.js';
import { judgeAddress, vetDestination } from './destination-policy.js';
import type { ResolveHost } from './destination-policy.js';
import { createForwarder } from './forwarder.js';
import type { ForwarderOptions } from './forwarder.js';
import type { ForwardingEndpoint } from './forwarding-endpoint.js';
import { createCapturingLogger, generateCertificate, hasOpenssl, startTestReceiver, watchOutgoingConnections } from '../../test/support/forwarding-receiver.js';
import type { TestReceiver } from '../../test/support/forwarding-receiver.js';
import { generateWebhookSecret } from './webhook-secret.js';
import type { ForwardingEvent } from './webhook-message.js';

const event: ForwardingEvent = { id: 'evt_ssrf', type: 'message.status', timestamp: Date.now(), payload: { status: 'read' } };
const secret = generateWebhookSecret();

let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startTestReceiver();
});
afterAll(() => receiver.close());

function endpointFor(url: string, overrides: Partial<ForwardingEndpoint> = {}): ForwardingEndpoint {
  // Plain http to the local receiver: were the guard bypassed, the request would land there.
  return { name: 'target', url, secrets: [secret], eventTypes: ['*'], isHttpAllowed: true, ...overrides };
}

function buildForwarder(url: string, options: Partial<ForwarderOptions> = {}) {
  return createForwarder({
    endpoints: [endpointFor(url)],
    clock: systemClock,
    logger: createCapturingLogger().logger,
    limits: { timeoutMs: 2_000, connectTimeoutMs: 1_000 },
    ...options,
  });
}

/** Delivers while watching every outgoing socket and HTTP request of this process. */
async function deliverWatched(forwarder: ReturnType<typeof buildForwarder>) {
  const connectionsBefore = receiver.connections();
  const watch = watchOutgoingConnections();
  try {
    const outcome = await forwarder.deliverTo('target', event);
    return { outcome, attempts: watch.count(), reachedReceiver: receiver.connections() - connectionsBefore };
  } finally {
    watch.stop();
  }
}

function resolveTo(...addresses: string[]): ResolveHost & { calls: string[] } {
  const calls: string[] = [];
  return Object.assign(async (hostname: string) => {
    calls.push(hostname);
    return addresses;
  }, { calls });
}

function configProblem(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (isAppError(error) && error.code === 'CONFIG_INVALID') return error.message;
    throw error;
  }
  throw new Error('accepted');
}

const blockedAddresses: [string, AddressClass][] = [
  ['127.0.0.1', 'loopback'],
  ['127.8.9.10', 'loopback'],
  ['::1', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.5.4', 'private'],
  ['192.168.0.1', 'private'],
  ['169.254.169.254', 'link-local'],
  ['fe80::1', 'link-local'],
  ['100.64.0.1', 'carrier-grade-nat'],
  ['fc00::1', 'unique-local'],
  ['fd00:ec2::254', 'unique-local'],
  ['224.0.0.1', 'multicast'],
  ['ff02::1', 'multicast'],
  ['0.0.0.0', 'unspecified'],
  ['::', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['2001:db8::1', 'reserved'],
  ['fec0::1', 'site-local'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:169.254.169.254', 'link-local'],
  ['::127.0.0.1', 'loopback'],
  ['64:ff9b::7f00:1', 'loopback'],
  ['64:ff9b::a9fe:a9fe', 'link-local'],
  ['64:ff9b:1::a00:1', 'reserved'],
  ['2002:7f00:1::1', 'loopback'],
  ['2001::1', 'tunnel'],
  ['0177.0.0.1', 'invalid'],
  ['2130706433', 'invalid'],
];

describe('a host name resolving to an internal address', () => {
  it.each(blockedAddresses)('is refused for %s (%s) before any connection is attempted', async (address, addressClass) => {
    const resolveHost = resolveTo(address);
    const forwarder = buildForwarder(`http://internal.example:${receiver.port}/hook`, { resolveHost });
    const { outcome, attempts, reachedReceiver } = await deliverWatched(forwarder);
    expect(outcome).toMatchObject({ kind: 'failed-permanently', reason: 'destination-refused', addressClass });
    expect(resolveHost.calls).toEqual(['internal.example']);
    expect(attempts).toBe(0);
    expect(reachedReceiver).toBe(0);
  });

  it('is delivered once its range is allowlisted (the watch above sees real connections)', async () => {
    const forwarder = buildForwarder(`http://internal.example:${receiver.port}/hook`, {
      resolveHost: resolveTo('127.0.0.1'),
      allowedDestinations: ['127.0.0.0/8'],
    });
    const { outcome, attempts, reachedReceiver } = await deliverWatched(forwarder);
    expect(outcome).toMatchObject({ kind: 'delivered' });
    expect(attempts).toBeGreaterThan(0);
    expect(reachedReceiver).toBe(1);
  });

  it('is refused when only one of several answers is internal, in either order', async () => {
    for (const answers of [['93.184.215.14', '10.0.0.5'], ['10.0.0.5', '93.184.215.14'], ['2606:2800:21f:cb07:6820:80da:af6b:8b2c', '::1']]) {
      const forwarder = buildForwarder(`http://mixed.example:${receiver.port}/hook`, { resolveHost: resolveTo(...answers) });
      const { outcome, attempts } = await deliverWatched(forwarder);
      expect(outcome, answers.join(' ')).toMatchObject({ kind: 'failed-permanently', reason: 'destination-refused' });
      expect(attempts).toBe(0);
    }
  });

  it('is refused through the system resolver too (localhost)', async () => {
    const { outcome, attempts } = await deliverWatched(buildForwarder(`http://localhost:${receiver.port}/hook`));
    expect(outcome).toMatchObject({ kind: 'failed-permanently', reason: 'destination-refused', addressClass: 'loopback' });
    expect(attempts).toBe(0);
  });

  it('says which address and class was refused and how to allow it, in the outcome', async () => {
    const { outcome } = await deliverWatched(buildForwarder(`http://metadata.example:${receiver.port}/`, { resolveHost: resolveTo('169.254.169.254') }));
    expect(outcome.kind === 'failed-permanently' && outcome.detail).toBe(
      'metadata.example resolved to 169.254.169.254 (link-local): an internal address; add the host or its range to RAMPART_FORWARD_ALLOWED_HOSTS if this is intended',
    );
  });
});

describe('an allowlisted host name', () => {
  it('may resolve to an internal address, while the same name without the entry may not', async () => {
    const resolveHost = resolveTo('127.0.0.1');
    const url = `http://receiver.internal:${receiver.port}/hook`;
    const allowed = await deliverWatched(buildForwarder(url, { resolveHost, allowedDestinations: ['receiver.internal'] }));
    expect(allowed.outcome).toMatchObject({ kind: 'delivered' });
    expect(allowed.reachedReceiver).toBe(1);
    const refused = await deliverWatched(buildForwarder(url, { resolveHost, allowedDestinations: ['other.internal'] }));
    expect(refused.outcome).toMatchObject({ kind: 'failed-permanently', reason: 'destination-refused' });
    expect(refused.attempts).toBe(0);
  });

  it('does not open link-local addresses (cloud metadata); only an address range entry does', () => {
    const byName = parseDestinationAllowlist(['meta.internal']).allowlist;
    expect(judgeAddress('169.254.169.254', 'meta.internal', byName)).toMatchObject({ isAllowed: false, addressClass: 'link-local' });
    expect(judgeAddress('fe80::1', 'meta.internal', byName)).toMatchObject({ isAllowed: false });
    expect(judgeAddress('10.1.2.3', 'meta.internal', byName)).toEqual({ isAllowed: true });
    const byRange = parseDestinationAllowlist(['169.254.169.254/32']).allowlist;
    expect(judgeAddress('169.254.169.254', 'meta.internal', byRange)).toEqual({ isAllowed: true });
    expect(judgeAddress('169.254.169.253', 'meta.internal', byRange)).toMatchObject({ isAllowed: false });
  });

  it('matches the exact name only, not a suffix or a look-alike', () => {
    const { allowlist } = parseDestinationAllowlist(['crm.internal']);
    expect(judgeAddress('10.0.0.1', 'CRM.internal.', allowlist)).toEqual({ isAllowed: true });
    for (const host of ['evil-crm.internal', 'crm.internal.evil.example', 'xcrm.internal', 'internal']) {
      expect(judgeAddress('10.0.0.1', host, allowlist), host).toMatchObject({ isAllowed: false });
    }
  });
});

describe('addresses no allowlist opens', () => {
  it('refuses unspecified, broadcast and multicast even under 0.0.0.0/0 and ::/0', () => {
    const { allowlist } = parseDestinationAllowlist(['0.0.0.0/0', '::/0', 'any.internal']);
    for (const address of ['0.0.0.0', '0.1.2.3', '255.255.255.255', '224.0.0.251', '::', 'ff02::1', '::ffff:0.0.0.0']) {
      expect(judgeAddress(address, 'any.internal', allowlist), address).toMatchObject({ isAllowed: false });
    }
    expect(judgeAddress('10.0.0.1', 'any.internal', allowlist)).toEqual({ isAllowed: true });
  });
});

describe('address literals in the endpoint URL', () => {
  const oddLoopbackHosts = [
    '2130706433', '0177.0.0.1', '0x7f.0.0.1', '0x7f000001', '127.1', '017700000001', '00000177.0.0.1', '127.0.0.1.',
    '%31%32%37.0.0.1', '[::ffff:7f00:1]', '[::ffff:127.0.0.1]', '[0:0:0:0:0:0:0:1]', '[::127.0.0.1]',
  ];
  const oddMetadataHosts = ['169.254.43518', '0xa9fea9fe', '2852039166', '[::ffff:a9fe:a9fe]'];

  it.each(oddLoopbackHosts)('refuses loopback spelled %s, without consulting the resolver', async (host) => {
    const url = `http://${host}:${receiver.port}/hook`;
    expect(configProblem(() => buildForwarder(url))).toContain('(loopback)');
    const resolveHost = resolveTo('8.8.8.8');
    const verdict = await vetDestination(new URL(url), { allowlist: parseDestinationAllowlist([]).allowlist, resolveHost });
    expect(verdict).toMatchObject({ kind: 'refused', addressClass: 'loopback' });
    expect(resolveHost.calls).toEqual([]);
  });

  it.each(oddMetadataHosts)('refuses the metadata address spelled %s', (host) => {
    expect(configProblem(() => buildForwarder(`http://${host}/latest/meta-data/`))).toContain('(link-local)');
  });

  it('refuses 0 (0.0.0.0, which reaches this host) even with an allowlist of everything', () => {
    const problem = configProblem(() => buildForwarder(`http://0:${receiver.port}/`, { allowedDestinations: ['0.0.0.0/0'] }));
    expect(problem).toContain('(unspecified): never a valid destination');
  });

  it('accepts an allowlisted literal and delivers to it', async () => {
    const forwarder = buildForwarder(`http://127.0.0.1:${receiver.port}/hook`, { allowedDestinations: ['127.0.0.1'] });
    expect((await deliverWatched(forwarder)).outcome).toMatchObject({ kind: 'delivered' });
  });
});

describe('URL rules', () => {
  it('refuses http:// unless the endpoint allows it', () => {
    const problem = configProblem(() =>
      createForwarder({
        endpoints: [endpointFor(`http://receiver.example:${receiver.port}/`, { isHttpAllowed: false })],
        clock: systemClock,
        logger: createCapturingLogger().logger,
      }),
    );
    expect(problem).toContain('must be https://');
  });

  it('refuses credentials, fragments, backslashes and non-http schemes, without quoting the URL', () => {
    const urls = [
      'https://user:hunter2@receiver.example/hook',
      'https://token-abc@receiver.example/hook',
      'https://@receiver.example/hook',
      'https://receiver.example/hook#token-abc',
      'https:\\\\receiver.example\\hook',
      'https://receiver.example/ho\nok',
      'ftp://receiver.example/hook',
      'file:///etc/passwd',
      'gopher://127.0.0.1:6379/_FLUSHALL',
      '//receiver.example/hook',
      'receiver.example/hook',
    ];
    for (const url of urls) {
      const problem = configProblem(() => buildForwarder(url));
      expect(problem, url).toMatch(/url: /);
      expect(problem, url).not.toMatch(/hunter2|token-abc|FLUSHALL|passwd/);
    }
  });
});

describe('connections', () => {
  it('go to the vetted address without a second lookup (a name only the injected resolver knows is reached)', async () => {
    const resolveHost = resolveTo('127.0.0.1');
    const before = receiver.requests.length;
    const forwarder = buildForwarder(`http://pinned.test:${receiver.port}/hook?x=1`, { resolveHost, allowedDestinations: ['127.0.0.1'] });
    expect(await forwarder.deliverTo('target', event)).toMatchObject({ kind: 'delivered' });
    expect(resolveHost.calls).toEqual(['pinned.test']);
    expect(receiver.requests[before]).toMatchObject({ path: '/hook?x=1', headers: { host: `pinned.test:${receiver.port}` } });
  });

  it('do not follow redirects, to allowlisted places or anywhere else', async () => {
    const target = await startTestReceiver();
    try {
      for (const status of [301, 302, 303, 307, 308]) {
        const redirecting = await startTestReceiver((_request, response) => {
          response.writeHead(status, { location: `http://127.0.0.1:${target.port}/elsewhere` }).end();
        });
        try {
          const forwarder = buildForwarder(`http://127.0.0.1:${redirecting.port}/hook`, { allowedDestinations: ['127.0.0.1'] });
          const outcome = await forwarder.deliverTo('target', event);
          expect(outcome, String(status)).toMatchObject({ kind: 'retry', reason: 'redirect', status });
          expect(redirecting.requests).toHaveLength(1);
        } finally {
          await redirecting.close();
        }
      }
      expect(target.connections()).toBe(0);
    } finally {
      await target.close();
    }
  });
});

describe.skipIf(!hasOpenssl)('https connections', () => {
  let tlsReceiver: TestReceiver;
  let certificate: { key: string; cert: string };
  beforeAll(async () => {
    certificate = generateCertificate('forward.test');
    tlsReceiver = await startTestReceiver(undefined, certificate);
  });
  afterAll(() => tlsReceiver?.close());

  function buildTlsForwarder(host: string, ca: string | undefined) {
    return createForwarder({
      endpoints: [{ name: 'target', url: `https://${host}:${tlsReceiver.port}/hook`, secrets: [secret], eventTypes: ['*'] }],
      allowedDestinations: ['127.0.0.1'],
      resolveHost: resolveTo('127.0.0.1'),
      clock: systemClock,
      logger: createCapturingLogger().logger,
      ca,
    });
  }

  it('keep SNI and the certificate check on the URL host name while connecting to the vetted address', async () => {
    const before = tlsReceiver.requests.length;
    expect(await buildTlsForwarder('forward.test', certificate.cert).deliverTo('target', event)).toMatchObject({ kind: 'delivered' });
    expect(tlsReceiver.requests[before]?.serverName).toBe('forward.test');
  });

  it('fail (and retry) when the certificate is for another name, even at the vetted address', async () => {
    const before = tlsReceiver.requests.length;
    const outcome = await buildTlsForwarder('other.test', certificate.cert).deliverTo('target', event);
    expect(outcome).toMatchObject({ kind: 'retry', reason: 'tls-error' });
    expect(outcome.kind === 'retry' && outcome.detail).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(tlsReceiver.requests).toHaveLength(before);
  });

  it('fail when the certificate is not trusted', async () => {
    const outcome = await buildTlsForwarder('forward.test', undefined).deliverTo('target', event);
    expect(outcome).toMatchObject({ kind: 'retry', reason: 'tls-error' });
  });
});
