import { ValidationError } from '@/lambdas/shared/errors';

/**
 * The body of `POST /20190206/aws/sign-in` (ARCHITECTURE §4): not part of the Stax spec,
 * so it is checked here, as strictly as the spec's bodies are: every field required, no
 * other field, each error naming the field and what it must be.
 */

export const SIGN_IN_MODES = ['console', 'credentials'] as const;
export type SignInMode = (typeof SIGN_IN_MODES)[number];

export interface SignInRequest {
  /** The 12-digit AWS account id. */
  readonly accountId: string;
  /** The IAM role name (`staxid-developer-role`, or a permission set's name). */
  readonly roleName: string;
  readonly mode: SignInMode;
}

const FIELDS = ['AccountId', 'RoleName', 'Mode'] as const;

/** IAM's own rule for role names: 1–64 of letters, digits and `+=,.@_-`. */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** Checks a parsed JSON body (`undefined`: none was sent); throws a ValidationError naming the first offending field. */
export function parseSignInRequest(body: unknown): SignInRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('Body', `must be a JSON object with the fields ${FIELDS.join(', ')}`);
  }
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(FIELDS as readonly string[]).includes(key)) {
      throw new ValidationError(
        `Body.${key}`,
        `is not a known field: remove it or check the spelling (the fields are ${FIELDS.join(', ')})`,
      );
    }
  }
  const { AccountId, RoleName, Mode } = record;
  if (typeof AccountId !== 'string' || !/^\d{12}$/.test(AccountId)) {
    throw new ValidationError('Body.AccountId', 'must be the 12-digit AWS account id, as a string');
  }
  if (typeof RoleName !== 'string' || !ROLE_NAME.test(RoleName)) {
    throw new ValidationError(
      'Body.RoleName',
      'must be an IAM role name: 1 to 64 letters, digits or any of + = , . @ _ -',
    );
  }
  if (typeof Mode !== 'string' || !(SIGN_IN_MODES as readonly string[]).includes(Mode)) {
    throw new ValidationError('Body.Mode', `must be one of ${SIGN_IN_MODES.map((m) => `"${m}"`).join(', ')}`);
  }
  return { accountId: AccountId, roleName: RoleName, mode: Mode as SignInMode };
}
