import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IssuedSession } from './session-service.js';
import type { RequestOrigin } from './security-event.js';

export const SESSION_COOKIE = 'rampart_session';
/** Readable by the dashboard's script (not HttpOnly): the double-submit half of the CSRF token. */
export const CSRF_COOKIE = 'rampart_csrf';

/** The value of one cookie from a Cookie header; names are matched exactly, the first occurrence wins. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    if (part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

/**
 * HttpOnly session cookie (script cannot read it), SameSite=Strict (no cross-site request carries
 * it), Path=/, Secure unless the public URL is plain http on loopback, and a Max-Age that ends
 * with the session's absolute lifetime.
 */
export function setSessionCookies(reply: FastifyReply, issued: IssuedSession, { isSecure, now }: { isSecure: boolean; now: number }): void {
  const maxAge = Math.max(0, Math.ceil((issued.session.expiresAt - now) / 1000));
  const flags = `Path=/; SameSite=Strict; Max-Age=${maxAge}${isSecure ? '; Secure' : ''}`;
  reply.header('set-cookie', [`${SESSION_COOKIE}=${issued.token}; HttpOnly; ${flags}`, `${CSRF_COOKIE}=${issued.session.csrfToken}; ${flags}`]);
  reply.header('cache-control', 'no-store');
}

export function clearSessionCookies(reply: FastifyReply, { isSecure }: { isSecure: boolean }): void {
  const flags = `Path=/; SameSite=Strict; Max-Age=0${isSecure ? '; Secure' : ''}`;
  reply.header('set-cookie', [`${SESSION_COOKIE}=; HttpOnly; ${flags}`, `${CSRF_COOKIE}=; ${flags}`]);
}

export function originOf(request: FastifyRequest): RequestOrigin {
  const userAgent = request.headers['user-agent'];
  return { sourceAddress: request.ip, requestId: request.id, userAgent: typeof userAgent === 'string' ? userAgent : null };
}
