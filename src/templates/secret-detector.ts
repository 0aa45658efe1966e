import type { DetectedSpan } from './detected-span.js';
import { createTermMatcher } from './term-matcher.js';

/**
 * Secrets in template text and parameters: credentials in formats that identify themselves (always
 * wrong in a WhatsApp message), wording that asks for or gives a password or one-time code (only
 * authentication templates may carry codes, and Meta writes their text), and values shaped like
 * passwords.
 */

const credentialPatterns: readonly { pattern: RegExp; description: string }[] = [
  // The lookbehind keeps it linear: without it every "eyJ" inside a long word is a fresh start.
  { pattern: /(?<![\w-])eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/g, description: 'a JSON web token' },
  { pattern: /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----/g, description: 'a private key' },
  { pattern: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g, description: 'an AWS access key id' },
  { pattern: /(?<![\w])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,})/g, description: 'a GitHub token' },
  { pattern: /(?<![\w])[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/g, description: 'a Stripe secret key' },
  { pattern: /(?<![\w])xox[abposr]-[A-Za-z0-9-]{10,}/g, description: 'a Slack token' },
  { pattern: /(?<![\w])AIza[\w-]{35}(?![\w-])/g, description: 'a Google API key' },
  { pattern: /(?<![\w])EAA[A-Za-z0-9]{60,}/g, description: 'a Meta access token' },
  { pattern: /(?<![\w])whsec_[A-Za-z0-9+/=]{20,}/g, description: 'a webhook signing secret' },
  {
    // "password: hunter22", "api_key=…": a labelled secret, unless the value is a template variable.
    pattern: /(?<![\p{L}\p{N}_])(?:password|passwd|pwd|passcode|secret|api[_ -]?key|access[_ -]?token|token|senha|contraseña|passwort|mot de passe)\s*[:=]\s*(?!\{\{)[^\s{},;]{4,}/giu,
    description: 'a labelled password, key or token',
  },
];

export function findCredentials(text: string): DetectedSpan[] {
  const found: DetectedSpan[] = [];
  for (const { pattern, description } of credentialPatterns) {
    for (const match of text.matchAll(pattern)) found.push({ start: match.index, end: match.index + match[0].length, description });
  }
  return found;
}

const passwordWording = createTermMatcher({
  terms: [
    'password', 'passwords', 'passcode', 'pass code', 'passwd', 'PIN code', 'PIN number', 'card security code',
    'contraseña', 'contrasena', 'senha', 'mot de passe', 'passwort', 'kennwort', 'wachtwoord', "parola d'accesso", 'hasło', 'пароль', 'पासवर्ड',
  ],
  caseSensitiveTerms: ['PIN', 'CVV', 'CVV2', 'CVC'],
});

const oneTimeCodeWording = createTermMatcher({
  terms: [
    'OTP', 'one-time password', 'one time password', 'one-time code', 'one time code', 'one-time passcode', 'verification code',
    'confirmation code', 'authentication code', 'security code', 'login code', 'sign-in code', '2FA code', 'two-factor code',
    'código de verificação', 'código de confirmação', 'código de acesso', 'código de verificación', 'código de confirmación',
    'código de seguridad', 'code de vérification', 'code de confirmation', 'code de sécurité', 'Bestätigungscode',
    'Verifizierungscode', 'Sicherheitscode', 'Einmalpasswort', 'Einmalcode', 'codice di verifica', 'codice di conferma',
    'kode verifikasi', 'ओटीपी', 'सत्यापन कोड',
  ],
});

export type SecretWordingKind = 'password' | 'one-time code';

export interface SecretWording {
  term: string;
  kind: SecretWordingKind;
}

/**
 * Password or one-time-code wording that comes with a value: a template variable, four or more
 * digits, or a password-like word within a few words of it ("Your code is {{1}}", "PIN 4821").
 * Wording alone ("reset your password", "never share your PIN") is good advice, not a secret.
 */
export function findSecretWording(text: string): SecretWording | null {
  for (const kind of ['password', 'one-time code'] as const) {
    const matcher = kind === 'password' ? passwordWording : oneTimeCodeWording;
    for (const match of matcher.findAll(text)) {
      if (hasValueNearby(text, match.start, match.end)) return { term: match.term, kind };
    }
  }
  return null;
}

const nearbyCharacters = 40;
const variablePlaceholder = /\{\{\s*[\w.]+\s*\}\}/;
const digitRun = /\d{4,}/;

function hasValueNearby(text: string, start: number, end: number): boolean {
  const around = `${text.slice(Math.max(0, start - nearbyCharacters), start)} ${text.slice(end, end + nearbyCharacters)}`;
  return variablePlaceholder.test(around) || digitRun.test(around.replace(/[ -](?=\d)/g, '')) || around.split(/\s+/).some(isPasswordLikeValue);
}

const codeSymbols = /[!@#$%^&*+=?~|<>]/;

/**
 * A whole value shaped like a password: 8–64 characters without spaces, mixing at least three of
 * lower case, upper case, digits and symbols. Letters-then-digits ("Order2024") is an id, not a
 * password; separators ids use (- _ . / :) do not count as symbols.
 */
export function isPasswordLikeValue(value: string): boolean {
  const trimmed = value.trim();
  if (trimmed.length < 8 || trimmed.length > 64 || /[\s'",;]/.test(trimmed) || trimmed.includes('://') || trimmed.includes('{{')) return false;
  if (/^[A-Za-z]+\d+$/.test(trimmed) || /^\d+[A-Za-z]+$/.test(trimmed)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /\d/, codeSymbols].filter((pattern) => pattern.test(trimmed)).length;
  return classes >= 3 && /\d/.test(trimmed);
}
