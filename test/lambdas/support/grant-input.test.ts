/**
 * lambdas/support/grant-input.ts: a case reference it accepts is one that sign-in can pass
 * as an STS session tag value, whose characters AWS restricts.
 */
import fc from 'fast-check';
import { ValidationError } from '@/lambdas/shared/errors';
import { parseCreateGrant } from '@/lambdas/support/grant-input';

/** AWS STS: a session tag value is at most 256 of these characters. */
const STS_TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

const body = (caseReference: unknown) => ({
  CaseReference: caseReference,
  Scope: { AccountIds: ['111111111111'] },
  DurationHours: 1,
});

/** The parsed case reference, or undefined when it is refused (400 naming Body.CaseReference). */
function accepted(caseReference: string): string | undefined {
  try {
    return parseCreateGrant(body(caseReference)).caseReference;
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/^Body\.CaseReference: /);
    return undefined;
  }
}

describe('CaseReference', () => {
  it('accepts only what an STS session tag value can hold', () => {
    const characters = fc.constantFrom(...'Aa0 ._:/=+-@#<>&%"\'\\\n\t,;!?*()[]{}|~`$^é漢'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: characters, minLength: 1, maxLength: 140 }), (value) => {
        const parsed = accepted(value);
        if (parsed !== undefined) expect(parsed).toMatch(STS_TAG_VALUE);
      }),
      { numRuns: 500 },
    );
  });

  it.each(['CASE-2026-0042', 'SR 12345/A: key=value+1@corp'])('accepts %j', (value) => {
    expect(accepted(value)).toBe(value);
  });

  it('refuses # with a 400 that names the field and the characters allowed', () => {
    expect(() => parseCreateGrant(body('INC#4711'))).toThrow(
      'Body.CaseReference: is required: the support case reference, 1 to 128 letters, digits, blanks or . _ : / = + - @ (no leading or trailing blank; no #, which an AWS session tag cannot hold)',
    );
  });
});
