/**
 * What the identity slice reports to the audit log. The slice defines the shape and calls the
 * callback it is given; the composition root connects it to the audit log. Details never hold a
 * password, code, token, secret or email address: only ids, counts and reasons.
 */
export type SecurityActor =
  | { kind: 'user'; id: string }
  | { kind: 'api-key'; id: string }
  | { kind: 'anonymous' }
  | { kind: 'system' };

export type SecurityOutcome = 'success' | 'failure' | 'denied';

export interface SecurityEvent {
  actor: SecurityActor;
  /** Dotted verb, e.g. `auth.login`, `auth.mfa.verify`, `users.roles.change`, `access.denied`. */
  action: string;
  outcome: SecurityOutcome;
  sourceAddress: string | null;
  requestId: string | null;
  details: Readonly<Record<string, string | number | boolean | null>>;
}

/** Awaited: when the audit log cannot take the event, the operation fails rather than go unrecorded. */
export type RecordSecurityEvent = (event: SecurityEvent) => Promise<void>;

/** Where a request came from, passed from routes to services for their events. */
export interface RequestOrigin {
  sourceAddress: string | null;
  requestId: string | null;
  userAgent: string | null;
}

export const systemOrigin: RequestOrigin = { sourceAddress: null, requestId: null, userAgent: null };
