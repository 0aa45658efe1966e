import { describe, expect, it } from 'vitest';
import { findCredentials, findSecretWording, isPasswordLikeValue } from './secret-detector.js';

describe('findCredentials', () => {
  it('recognises credentials that announce their format', () => {
    const samples: [string, string][] = [
      ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'a JSON web token'],
      ['-----BEGIN RSA PRIVATE KEY-----', 'a private key'],
      ['AKIAIOSFODNN7EXAMPLE', 'an AWS access key id'],
      [`ghp_${'a1B2'.repeat(9)}`, 'a GitHub token'],
      [`sk_live_${'x'.repeat(24)}`, 'a Stripe secret key'],
      [`xoxb-${'1234567890'.repeat(2)}`, 'a Slack token'],
      [`AIza${'S'.repeat(35)}`, 'a Google API key'],
      [`EAA${'Zx9'.repeat(30)}`, 'a Meta access token'],
      [`whsec_${'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'}`, 'a webhook signing secret'],
      ['password: hunter22', 'a labelled password, key or token'],
      ['API-Key=abcd1234efgh', 'a labelled password, key or token'],
      ['senha: segredo123', 'a labelled password, key or token'],
    ];
    for (const [text, description] of samples) expect(findCredentials(`here: ${text} end`).map((found) => found.description)).toContain(description);
  });

  it('does not read a labelled template variable or a plain sentence as a credential', () => {
    expect(findCredentials('Your password: {{1}}')).toEqual([]);
    expect(findCredentials('Choose a strong password and keep your token safe.')).toEqual([]);
  });
});

describe('findSecretWording', () => {
  it('finds password and one-time-code wording that comes with a variable or a value', () => {
    expect(findSecretWording('Your password is {{1}}')).toEqual({ term: 'password', kind: 'password' });
    expect(findSecretWording('{{1}} is your verification code.')).toEqual({ term: 'verification code', kind: 'one-time code' });
    expect(findSecretWording('Your OTP: 123 456')).toEqual({ term: 'OTP', kind: 'one-time code' });
    expect(findSecretWording('Your PIN is 4821')).toEqual({ term: 'PIN', kind: 'password' });
  });

  it('finds the wording in other languages', () => {
    expect(findSecretWording('Sua senha é {{1}}')?.kind).toBe('password');
    expect(findSecretWording('Tu contraseña: {{1}}')?.kind).toBe('password');
    expect(findSecretWording('Este é o seu código de confirmação: *{{1}}.*')?.term).toBe('código de confirmação');
    expect(findSecretWording('Ihr Bestätigungscode lautet {{1}}')?.term).toBe('Bestätigungscode');
    expect(findSecretWording('आपका ओटीपी {{1}} है')?.term).toBe('ओटीपी');
  });

  it('leaves advice and links about passwords alone when no value comes with them', () => {
    expect(findSecretWording('We will never ask for your password or PIN.')).toBeNull();
    expect(findSecretWording('Forgot your password? Reset it on our website.')).toBeNull();
  });

  it('matches whole words only, and PIN and CVV only as acronyms', () => {
    expect(findSecretWording('Pin {{1}} to the top of your chat')).toBeNull();
    expect(findSecretWording('Our passwordless login is here: {{1}}')).toBeNull();
    expect(findSecretWording('Enter CVV {{1}}')?.term).toBe('CVV');
  });
});

describe('isPasswordLikeValue', () => {
  it('flags values mixing three kinds of characters, without spaces', () => {
    for (const value of ['Xk9#pQ2!', 'Passw0rd!', 'h7Gq2LmZ9x']) expect(isPasswordLikeValue(value)).toBe(true);
  });

  it('leaves ids, codes with dashes, words, amounts, dates and links alone', () => {
    for (const value of ['Order2024', 'FE-15454T45001', '784-H45-7R4', 'Maria', '$1,299.00', '04/11/2022', 'https://shop.com/A1b2C3d4', 'short1A', 'hello world A1!']) {
      expect(isPasswordLikeValue(value)).toBe(false);
    }
  });
});
