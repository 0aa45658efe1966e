import type { Settings } from '../config/config-schema.js';

/** The identity part of the configuration (sessions, the dashboard's address). */
export interface IdentityConfig {
  /** The origin people open the dashboard at (no trailing slash): CSRF origin checks, WebAuthn, setup links. */
  readonly publicUrl: string;
  /** The WebAuthn relying party id: the public URL's host name. */
  readonly relyingPartyId: string;
  /** Cookies carry `Secure` unless the public URL is plain http on a loopback host (local development). */
  readonly isCookieSecure: boolean;
  readonly sessionIdleMs: number;
  readonly sessionMaxMs: number;
  /** How recent a second factor must be for routes that declare `stepUp`. */
  readonly stepUpMs: number;
}

type IdentitySettings = Pick<
  Settings,
  'RAMPART_PUBLIC_URL' | 'RAMPART_SESSION_IDLE_MINUTES' | 'RAMPART_SESSION_MAX_HOURS' | 'RAMPART_STEP_UP_MINUTES' | 'RAMPART_HOST' | 'RAMPART_PORT' | 'RAMPART_TLS_CERT_FILE'
>;

export function resolveIdentitySettings(settings: IdentitySettings): { config: IdentityConfig; problems: string[] } {
  const problems: string[] = [];
  const url = new URL(settings.RAMPART_PUBLIC_URL ?? defaultPublicUrl(settings));
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const isLoopback = isLoopbackHost(hostname);
  if (settings.RAMPART_SESSION_IDLE_MINUTES * 60 > settings.RAMPART_SESSION_MAX_HOURS * 3600) {
    problems.push('RAMPART_SESSION_IDLE_MINUTES: must not exceed RAMPART_SESSION_MAX_HOURS');
  }
  return {
    config: {
      publicUrl: url.origin,
      relyingPartyId: hostname,
      isCookieSecure: !(url.protocol === 'http:' && isLoopback),
      sessionIdleMs: settings.RAMPART_SESSION_IDLE_MINUTES * 60_000,
      sessionMaxMs: settings.RAMPART_SESSION_MAX_HOURS * 3_600_000,
      stepUpMs: settings.RAMPART_STEP_UP_MINUTES * 60_000,
    },
    problems,
  };
}

/** Without RAMPART_PUBLIC_URL, the address the gateway itself listens on (a wildcard host becomes 127.0.0.1). */
function defaultPublicUrl(settings: IdentitySettings): string {
  const scheme = settings.RAMPART_TLS_CERT_FILE ? 'https' : 'http';
  const host = ['0.0.0.0', '::', ''].includes(settings.RAMPART_HOST) ? '127.0.0.1' : settings.RAMPART_HOST;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${hostPart}:${settings.RAMPART_PORT}`;
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
