import { describe, expect, it } from 'vitest';
import { URI } from 'otpauth';
import { buildTotpUri, enrolmentParameters, findTotpStep, generateTotpCode } from './totp-code.js';

const parameters = { secret: Buffer.from('12345678901234567890'), ...enrolmentParameters };
const now = 1_700_000_015_000;
const step = Math.floor(now / 30_000);

describe('TOTP codes', () => {
  it('finds the step of a code within one step either side, and no further', () => {
    expect(findTotpStep(parameters, generateTotpCode(parameters, now), now)).toBe(step);
    expect(findTotpStep(parameters, generateTotpCode(parameters, now - 30_000), now)).toBe(step - 1);
    expect(findTotpStep(parameters, generateTotpCode(parameters, now + 30_000), now)).toBe(step + 1);
    expect(findTotpStep(parameters, generateTotpCode(parameters, now - 60_000), now)).toBeNull();
    expect(findTotpStep(parameters, generateTotpCode(parameters, now + 60_000), now)).toBeNull();
  });

  it('ignores spaces but refuses anything that is not exactly the digits', () => {
    const code = generateTotpCode(parameters, now);
    expect(findTotpStep(parameters, `${code.slice(0, 3)} ${code.slice(3)}`, now)).toBe(step);
    expect(findTotpStep(parameters, `${code}0`, now)).toBeNull();
    expect(findTotpStep(parameters, code.replace(/\d$/, 'a'), now)).toBeNull();
  });

  it('writes an otpauth URI that authenticator apps read back to the same secret', () => {
    const uri = buildTotpUri(parameters, 'ada@example.com');
    expect(uri).toMatch(/^otpauth:\/\/totp\/Rampart:ada%40example\.com\?/);
    const parsed = URI.parse(uri);
    expect(Buffer.from(parsed.secret.buffer).equals(parameters.secret)).toBe(true);
  });
});
