import { Secret, TOTP } from 'otpauth';

export const totpAlgorithms = ['SHA1', 'SHA256', 'SHA512'] as const;
export type TotpAlgorithm = (typeof totpAlgorithms)[number];

export interface TotpParameters {
  secret: Buffer;
  algorithm: TotpAlgorithm;
  digits: number;
  /** Seconds per time step. */
  period: number;
}

/** What every authenticator app understands (RFC 6238's defaults, Google Authenticator's only choice). */
export const enrolmentParameters = { algorithm: 'SHA1', digits: 6, period: 30 } as const satisfies Omit<TotpParameters, 'secret'>;
/** 160 bits, the HMAC-SHA1 block-size recommendation of RFC 4226. */
export const TOTP_SECRET_BYTES = 20;
/** One step either side: a clock up to 30 s off, or a code typed as it changed, still works. */
const ACCEPTED_STEPS_EITHER_SIDE = 1;

/**
 * The time step whose code this is (within ±1 step of now), or null. The caller refuses a step it
 * has already accepted, so each code works once.
 */
export function findTotpStep(parameters: TotpParameters, code: string, nowMs: number): number | null {
  const token = code.replace(/\s+/g, '');
  if (!/^\d+$/.test(token) || token.length !== parameters.digits) return null;
  const totp = toTotp(parameters);
  const delta = totp.validate({ token, timestamp: nowMs, window: ACCEPTED_STEPS_EITHER_SIDE });
  if (delta === null) return null;
  return totp.counter({ timestamp: nowMs }) + delta;
}

/** The code for a time (tests, and the software authenticator in them). */
export function generateTotpCode(parameters: TotpParameters, nowMs: number): string {
  return toTotp(parameters).generate({ timestamp: nowMs });
}

/** The otpauth:// URI an authenticator app scans; it contains the secret, so it is shown once. */
export function buildTotpUri(parameters: TotpParameters, label: string): string {
  return new TOTP({ ...toTotpOptions(parameters), issuer: 'Rampart', label }).toString();
}

function toTotp(parameters: TotpParameters): TOTP {
  return new TOTP(toTotpOptions(parameters));
}

function toTotpOptions(parameters: TotpParameters) {
  const buffer = parameters.secret.buffer.slice(parameters.secret.byteOffset, parameters.secret.byteOffset + parameters.secret.byteLength);
  return { secret: new Secret({ buffer }), algorithm: parameters.algorithm, digits: parameters.digits, period: parameters.period };
}
