/** The base32 secret of an otpauth:// URI, grouped in fours for typing into an app by hand. */
export function readTotpSecret(otpauthUri: string): string | null {
  try {
    const secret = new URL(otpauthUri).searchParams.get('secret');
    return secret ? secret.replace(/(.{4})(?=.)/g, '$1 ') : null;
  } catch {
    return null;
  }
}
