import { BUILTIN_ROLE_NAMES } from '@/lambdas/shared/constants';
import { ValidationError } from '@/lambdas/shared/errors';
import { isUuid } from '@/lambdas/shared/ids';
import { assertOnlyFields } from '@/lambdas/shared/input';

/**
 * The bodies of the support-access routes, checked field by field: every refusal is a 400
 * naming the field (`Body.Scope.AccountIds[2]`) and saying what would be accepted.
 */

export interface CreateGrantInput {
  readonly userId?: string;
  readonly caseReference: string;
  /** As sent: Stax account ids (UUIDs) or 12-digit AWS account ids; resolved by the domain. */
  readonly accountIds: readonly string[];
  readonly accountTypeIds: readonly string[];
  readonly roleName: string;
  readonly durationHours: number;
  readonly reason?: string;
}

export const DURATION_HOURS = { min: 1, max: 72 } as const;
export const MAX_SCOPE_ENTRIES = 50;
export const MAX_REASON_LENGTH = 1000;

/**
 * Letters, digits, blanks and `. _ : / = + - @`: what ticket systems put in case numbers, and
 * only characters an STS session tag value may hold, since sign-in passes the case reference
 * as the `staxid-support-case` tag (anything else, such as `#`, would fail every sign-in).
 */
const CASE_REFERENCE = /^[A-Za-z0-9 ._:/=+@-]{1,128}$/;

/** Control characters other than tab and newline. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f]/;

const ROLE_NAMES: readonly string[] = Object.values(BUILTIN_ROLE_NAMES);

export function parseCreateGrant(body: unknown): CreateGrantInput {
  const fields = objectBody(body, 'Body');
  assertOnlyFields(fields, ['UserId', 'CaseReference', 'Scope', 'RoleName', 'DurationHours', 'Reason']);
  const scope = objectBody(
    fields.Scope,
    'Body.Scope',
    'is required: {"AccountIds": [...]} and/or {"AccountTypeIds": [...]}',
  );
  assertOnlyFields(scope, ['AccountIds', 'AccountTypeIds'], 'Body.Scope');
  const accountIds = idList(
    scope.AccountIds,
    'Body.Scope.AccountIds',
    (id) => isUuid(id) || /^\d{12}$/.test(id),
    'a Stax account id (UUID) or a 12-digit AWS account id',
  );
  const accountTypeIds = idList(
    scope.AccountTypeIds,
    'Body.Scope.AccountTypeIds',
    isUuid,
    'an account type id (UUID)',
  );
  if (accountIds.length + accountTypeIds.length === 0) {
    throw new ValidationError(
      'Body.Scope',
      'must name at least one account (AccountIds) or account type (AccountTypeIds)',
    );
  }
  const userId = optionalUserId(fields.UserId);
  const reason = optionalReason(fields.Reason);
  return {
    ...(userId && { userId }),
    caseReference: caseReference(fields.CaseReference),
    accountIds,
    accountTypeIds,
    roleName:
      fields.RoleName === undefined
        ? BUILTIN_ROLE_NAMES.readonly
        : roleName(fields.RoleName, 'Body.RoleName'),
    durationHours: durationHours(fields.DurationHours),
    ...(reason && { reason }),
  };
}

/** The approval body: nothing, `{}`, or `{"RoleName": <a built-in role>}`. */
export function parseApproveGrant(body: unknown): { readonly roleName?: string } {
  if (body === undefined) return {};
  const fields = objectBody(body, 'Body');
  assertOnlyFields(fields, ['RoleName']);
  return fields.RoleName === undefined ? {} : { roleName: roleName(fields.RoleName, 'Body.RoleName') };
}

function objectBody(
  value: unknown,
  field: string,
  missing = 'is required: send a JSON object',
): Record<string, unknown> {
  if (value === undefined) throw new ValidationError(field, missing);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(field, 'must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function idList(value: unknown, field: string, valid: (id: string) => boolean, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ValidationError(field, 'must be an array of ids');
  if (value.length > MAX_SCOPE_ENTRIES) {
    throw new ValidationError(field, `must list at most ${MAX_SCOPE_ENTRIES} ids: ask for several grants`);
  }
  const ids = value.map((id, index) => {
    if (typeof id !== 'string' || !valid(id)) {
      throw new ValidationError(`${field}[${index}]`, `must be ${what}`);
    }
    return id.toLowerCase();
  });
  return [...new Set(ids)];
}

function optionalUserId(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !isUuid(value)) {
    throw new ValidationError(
      'Body.UserId',
      'must be the id (UUID) of the support engineer the grant is for',
    );
  }
  return value.toLowerCase();
}

function caseReference(value: unknown): string {
  if (typeof value !== 'string' || !CASE_REFERENCE.test(value) || value.trim() !== value) {
    throw new ValidationError(
      'Body.CaseReference',
      'is required: the support case reference, 1 to 128 letters, digits, blanks or . _ : / = + - @ (no leading or trailing blank; no #, which an AWS session tag cannot hold)',
    );
  }
  return value;
}

function roleName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ROLE_NAMES.includes(value)) {
    throw new ValidationError(field, `must be a built-in role: ${ROLE_NAMES.join(', ')}`);
  }
  return value;
}

function durationHours(value: unknown): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < DURATION_HOURS.min ||
    value > DURATION_HOURS.max
  ) {
    throw new ValidationError(
      'Body.DurationHours',
      `is required: a whole number of hours from ${DURATION_HOURS.min} to ${DURATION_HOURS.max}`,
    );
  }
  return value;
}

function optionalReason(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > MAX_REASON_LENGTH || CONTROL_CHARACTERS.test(value)) {
    throw new ValidationError(
      'Body.Reason',
      `must be text of at most ${MAX_REASON_LENGTH} characters, without control characters`,
    );
  }
  return value === '' ? undefined : value;
}
