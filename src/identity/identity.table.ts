/**
 * The identity slice's tables: users, their credentials, sessions and custom roles. Times are
 * milliseconds since the epoch; secrets appear only hashed (tokens, codes, passwords) or sealed
 * (TOTP secrets). Built-in roles live in code (permissions.ts), not here.
 */
export interface IdentityTables {
  users: UserTable;
  user_roles: UserRoleTable;
  roles: RoleTable;
  sessions: SessionTable;
  setup_tokens: SetupTokenTable;
  login_throttles: LoginThrottleTable;
  totp_credentials: TotpCredentialTable;
  recovery_codes: RecoveryCodeTable;
  passkeys: PasskeyTable;
  webauthn_challenges: WebauthnChallengeTable;
}

export type UserStatus = 'active' | 'disabled';

export interface UserTable {
  id: string;
  /** The login name, normalised (trimmed, NFC, lower case); unique. Staff personal data: never logged. */
  email: string;
  display_name: string;
  status: UserStatus;
  /** argon2id PHC string; null until the user sets a password through a setup link. */
  password_hash: string | null;
  password_changed_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface UserRoleTable {
  user_id: string;
  /** A built-in role id (`admin`, …) or a custom role's id. */
  role_id: string;
}

export interface RoleTable {
  id: string;
  name: string;
  /** The name folded to lower case, for uniqueness regardless of case. */
  name_key: string;
  description: string;
  /** JSON array of permission names. */
  permissions: string;
  /** `all` or `assigned`: which conversations the role's conversation permissions reach. */
  conversation_access: string;
  created_at: number;
  updated_at: number;
}

export type SessionState = 'pending-mfa' | 'active';

export interface SessionTable {
  id: string;
  /** SHA-256 of the cookie's token; the token itself is never stored. */
  token_hash: Buffer;
  user_id: string;
  state: SessionState;
  created_at: number;
  last_seen_at: number;
  /** Absolute end: created_at + the maximum lifetime (shorter while pending MFA). */
  expires_at: number;
  /** When a second factor last succeeded in this session (step-up checks it). */
  mfa_verified_at: number | null;
  /** Wrong second factors in this session; the session ends after a few. */
  mfa_failures: number;
  ended_at: number | null;
  end_reason: string | null;
  source_address: string | null;
  user_agent: string | null;
}

export type SetupTokenPurpose = 'bootstrap' | 'password';

export interface SetupTokenTable {
  id: string;
  token_hash: Buffer;
  purpose: SetupTokenPurpose;
  /** The user who sets a password with it; null for the first-admin bootstrap. */
  user_id: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** Failure counters, keyed `account:<keyed hash of the email>` or `source:<address>`. */
export interface LoginThrottleTable {
  key: string;
  /** Failures in the current window (source) or consecutive failures (account). */
  failures: number;
  /** Failures in the window before the current one (source sliding window). */
  previous_failures: number;
  window_started_at: number;
  locked_until: number | null;
  /** Locks so far; each lock lasts twice as long as the one before. */
  lockouts: number;
  updated_at: number;
}

export interface TotpCredentialTable {
  id: string;
  user_id: string;
  /** `pending` until a valid code confirms the enrolment. */
  state: 'pending' | 'active';
  /** The shared secret, sealed in a field envelope (src/crypto/envelope.ts). */
  secret_enc: Buffer;
  algorithm: string;
  digits: number;
  period: number;
  /** The last time step whose code was accepted: codes of this step and earlier are refused (replay). */
  last_used_step: number | null;
  created_at: number;
  confirmed_at: number | null;
}

export interface RecoveryCodeTable {
  id: string;
  user_id: string;
  /** SHA-256 over the user id and the normalised code (80 random bits). */
  code_hash: Buffer;
  created_at: number;
  used_at: number | null;
}

export interface PasskeyTable {
  id: string;
  /** The WebAuthn credential id, base64url. */
  credential_id: string;
  user_id: string;
  /** COSE public key. */
  public_key: Buffer;
  counter: number;
  /** JSON array of transport hints. */
  transports: string;
  device_type: string;
  /** 1 when the authenticator reports the credential backed up (synced passkey), else 0. */
  is_backed_up: number;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

export interface WebauthnChallengeTable {
  id: string;
  session_id: string;
  purpose: 'registration' | 'authentication';
  challenge: string;
  expires_at: number;
}
