import { randomUUID } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { IdentityConfig } from './identity-settings.js';
import type { WebauthnChallengeTable } from './identity.table.js';

/** A challenge answers one ceremony, within this time. */
const CHALLENGE_LIFETIME_MS = 5 * 60_000;

export interface PasskeySummary {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  isBackedUp: boolean;
}

/**
 * WebAuthn passkeys through @simplewebauthn/server. Challenges are kept server-side per session
 * and purpose, taken (deleted) by the verification that uses them, and expire after five minutes.
 * The relying party id and origin come from RAMPART_PUBLIC_URL.
 */
export function createPasskeyService({ db, clock, settings }: { db: Db; clock: Clock; settings: Pick<IdentityConfig, 'publicUrl' | 'relyingPartyId'> }) {
  async function createRegistrationOptions(
    sessionId: string,
    user: { id: string; email: string; displayName: string },
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await db.selectFrom('passkeys').select(['credential_id', 'transports']).where('user_id', '=', user.id).execute();
    const options = await generateRegistrationOptions({
      rpName: 'Rampart',
      rpID: settings.relyingPartyId,
      userName: user.email,
      userID: new TextEncoder().encode(user.id),
      userDisplayName: user.displayName,
      attestationType: 'none',
      excludeCredentials: existing.map((row) => ({ id: row.credential_id, transports: parseTransports(row.transports) })),
      // The passkey is the second factor after the password: presence is required, verification welcome.
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    await storeChallenge(sessionId, 'registration', options.challenge);
    return options;
  }

  /** Stores the new passkey when the response answers this session's challenge; null otherwise. */
  async function verifyRegistration(sessionId: string, userId: string, response: RegistrationResponseJSON, name: string): Promise<PasskeySummary | null> {
    const challenge = await takeChallenge(sessionId, 'registration');
    if (!challenge) return null;
    const verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: settings.publicUrl,
      expectedRPID: settings.relyingPartyId,
      requireUserVerification: false,
    }).catch(() => null);
    if (!verification?.verified) return null;
    const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo;
    const taken = await db.selectFrom('passkeys').select('id').where('credential_id', '=', credential.id).executeTakeFirst();
    if (taken) return null;
    const row = {
      id: randomUUID(),
      credential_id: credential.id,
      user_id: userId,
      public_key: Buffer.from(credential.publicKey),
      counter: credential.counter,
      transports: JSON.stringify(credential.transports ?? []),
      device_type: credentialDeviceType,
      is_backed_up: credentialBackedUp ? 1 : 0,
      name: name.trim().slice(0, 100) || 'Passkey',
      created_at: clock.now(),
      last_used_at: null,
    };
    await db.insertInto('passkeys').values(row).execute();
    return { id: row.id, name: row.name, createdAt: row.created_at, lastUsedAt: null, isBackedUp: credentialBackedUp };
  }

  async function createAuthenticationOptions(sessionId: string, userId: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const credentials = await db.selectFrom('passkeys').select(['credential_id', 'transports']).where('user_id', '=', userId).execute();
    const options = await generateAuthenticationOptions({
      rpID: settings.relyingPartyId,
      allowCredentials: credentials.map((row) => ({ id: row.credential_id, transports: parseTransports(row.transports) })),
      userVerification: 'preferred',
    });
    await storeChallenge(sessionId, 'authentication', options.challenge);
    return options;
  }

  /** True when the assertion is by one of this user's passkeys, over this session's challenge, with a fresh counter. */
  async function verifyAuthentication(sessionId: string, userId: string, response: AuthenticationResponseJSON): Promise<boolean> {
    const challenge = await takeChallenge(sessionId, 'authentication');
    if (!challenge) return false;
    const stored = await db.selectFrom('passkeys').selectAll().where('credential_id', '=', response.id).where('user_id', '=', userId).executeTakeFirst();
    if (!stored) return false;
    const verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: settings.publicUrl,
      expectedRPID: settings.relyingPartyId,
      credential: { id: stored.credential_id, publicKey: new Uint8Array(stored.public_key), counter: Number(stored.counter), transports: parseTransports(stored.transports) },
      requireUserVerification: false,
    }).catch(() => null);
    if (!verification?.verified) return false;
    // Conditional on the counter read: a cloned authenticator racing the original cannot both pass.
    const result = await db
      .updateTable('passkeys')
      .set({ counter: verification.authenticationInfo.newCounter, last_used_at: clock.now() })
      .where('id', '=', stored.id)
      .where('counter', '=', stored.counter)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async function listPasskeys(userId: string): Promise<PasskeySummary[]> {
    const rows = await db.selectFrom('passkeys').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
    return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at, lastUsedAt: row.last_used_at, isBackedUp: row.is_backed_up === 1 }));
  }

  async function countPasskeys(userId: string): Promise<number> {
    const row = await db.selectFrom('passkeys').select((eb) => eb.fn.countAll<number>().as('count')).where('user_id', '=', userId).executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async function removePasskey(userId: string, passkeyId: string): Promise<boolean> {
    const result = await db.deleteFrom('passkeys').where('id', '=', passkeyId).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async function removeAllPasskeys(userId: string): Promise<void> {
    await db.deleteFrom('passkeys').where('user_id', '=', userId).execute();
  }

  async function storeChallenge(sessionId: string, purpose: WebauthnChallengeTable['purpose'], challenge: string): Promise<void> {
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      // One outstanding challenge per session and purpose; expired ones of anyone go too.
      await trx.deleteFrom('webauthn_challenges').where((eb) => eb.or([eb.and([eb('session_id', '=', sessionId), eb('purpose', '=', purpose)]), eb('expires_at', '<', now)])).execute();
      await trx.insertInto('webauthn_challenges').values({ id: randomUUID(), session_id: sessionId, purpose, challenge, expires_at: now + CHALLENGE_LIFETIME_MS }).execute();
    });
  }

  /** Deletes and returns the session's challenge: whatever the outcome, it is never accepted twice. */
  async function takeChallenge(sessionId: string, purpose: WebauthnChallengeTable['purpose']): Promise<string | null> {
    const rows = await db
      .deleteFrom('webauthn_challenges')
      .where('session_id', '=', sessionId)
      .where('purpose', '=', purpose)
      .returning(['challenge', 'expires_at'])
      .execute();
    const row = rows[0];
    return row && row.expires_at > clock.now() ? row.challenge : null;
  }

  return {
    createRegistrationOptions,
    verifyRegistration,
    createAuthenticationOptions,
    verifyAuthentication,
    listPasskeys,
    countPasskeys,
    removePasskey,
    removeAllPasskeys,
  };
}

export type PasskeyService = ReturnType<typeof createPasskeyService>;

function parseTransports(json: string): AuthenticatorTransportFuture[] {
  const parsed = JSON.parse(json) as unknown;
  return Array.isArray(parsed) ? parsed.filter((item): item is AuthenticatorTransportFuture => typeof item === 'string') : [];
}

type AuthenticatorTransportFuture = 'ble' | 'cable' | 'hybrid' | 'internal' | 'nfc' | 'smart-card' | 'usb';
