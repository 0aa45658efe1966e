import type { Migration } from 'kysely';
import * as ingress from './2026-11-23-001-ingress.js';
import * as outbound from './2026-11-23-002-outbound.js';
import * as media from './2026-11-23-003-media.js';
import * as audit from './2026-11-23-004-audit.js';
import * as identity from './2026-11-23-005-identity.js';
import * as inbox from './2026-11-23-006-inbox.js';
import * as auditSigningKeys from './2026-11-23-007-audit-signing-keys.js';

/** Every migration, by name; names sort in the order they run. Add new ones, never edit old ones. */
export const migrations: Record<string, Migration> = {
  '2026-11-23-001-ingress': ingress,
  '2026-11-23-002-outbound': outbound,
  '2026-11-23-003-media': media,
  '2026-11-23-004-audit': audit,
  '2026-11-23-005-identity': identity,
  '2026-11-23-006-inbox': inbox,
  '2026-11-23-007-audit-signing-keys': auditSigningKeys,
};
