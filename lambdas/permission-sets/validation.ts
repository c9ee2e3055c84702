import { isKnownManagedPolicyArn } from '@/lambdas/permission-sets/managed-policies';
import { inlinePolicyRoomProblem, REVOCATION_POLICY_NAME } from '@/lambdas/revocation/revocation-policy';
import { ValidationError } from '@/lambdas/shared/errors';
import { isUuid } from '@/lambdas/shared/ids';

/**
 * Checks of the permission-sets API's request bodies: the spec's schemas (closed: an unknown
 * field is refused) and the limits Stax has (issue 6). Every failure is a ValidationError
 * naming the field and how to fix it; nothing here throws anything else, whatever the input.
 */

/** Stax's limits on a permission set. */
export const LIMITS = {
  nameLength: 64,
  descriptionLength: 1000,
  managedPolicies: 10,
  inlinePolicies: 10,
  inlinePolicyNameLength: 128,
  inlinePolicyLength: 10_240,
  session: { min: 3600, max: 43_200, default: 3600 },
  tags: 45,
  tagKeyLength: 100,
  tagValueLength: 256,
  assignmentsPerPermissionSet: 100,
} as const;

const NAME_PATTERN = /^[\w+=,.@-]+$/;
/**
 * Inline policy names staxid keeps for itself on every role it manages (the session
 * revocation deny, ADR 0013): a permission set's own policy of that name would overwrite it.
 */
const RESERVED_INLINE_POLICY_PREFIX = 'staxid';
const DESCRIPTION_PATTERN = /^[\w\s/+=,.@-]+$/;
const TAG_KEY_PATTERN = /^[\w\s.:/=+\-@]+$/;
const TAG_VALUE_PATTERN = /^[\w\s.:/=+\-@]*$/;
const RESERVED_PREFIX = /^(stax|idam)/i;
/**
 * Tag keys a permission set may not use: a role's tags become the principal tags of its
 * sessions, where staxid sets its own session tags (`staxid-*`, e.g. `staxid-support-case`)
 * that policies trust; and IAM refuses `aws:` keys.
 */
const RESERVED_TAG_KEY = /^(staxid|aws:)/i;

export interface PermissionSetFields {
  readonly Description?: string;
  readonly AWSManagedPolicies?: readonly { readonly PolicyArn: string }[];
  readonly InlinePolicies?: readonly { readonly Name: string; readonly Policy: string }[];
  readonly MaxSessionDuration?: number;
  readonly Tags?: Readonly<Record<string, string>>;
}

export interface CreatePermissionSetBody extends PermissionSetFields {
  readonly Name: string;
}

export interface AssignmentRequest {
  readonly AccountTypeId: string;
  readonly GroupId: string;
}

const FIELDS = ['Description', 'AWSManagedPolicies', 'InlinePolicies', 'MaxSessionDuration', 'Tags'] as const;

/** CreatePermissionSetRecord, with Stax's limits. */
export function parseCreatePermissionSet(body: unknown): CreatePermissionSetBody {
  const record = objectAt(body, 'Body', 'send a JSON object with at least "Name"');
  onlyFields(record, ['Name', ...FIELDS], 'Body');
  return { Name: permissionSetName(record.Name), ...permissionSetFields(record) };
}

/** UpdatePermissionSetRecord: the fields given replace the stored ones; the name never changes. */
export function parseUpdatePermissionSet(body: unknown): PermissionSetFields {
  const record = objectAt(body, 'Body', `send a JSON object with any of ${FIELDS.join(', ')}`);
  if ('Name' in record) {
    throw new ValidationError(
      'Body.Name',
      'cannot be changed: it is the name of the role in every account. Create a new permission set instead',
    );
  }
  onlyFields(record, FIELDS, 'Body');
  if (Object.keys(record).length === 0) {
    throw new ValidationError('Body', `is empty: send at least one of ${FIELDS.join(', ')}`);
  }
  return permissionSetFields(record);
}

/** CreateAssignmentsRequest: exactly one `{AccountTypeId, GroupId}`. */
export function parseCreateAssignments(body: unknown): AssignmentRequest {
  if (!Array.isArray(body) || body.length !== 1) {
    throw new ValidationError(
      'Body',
      'must be an array of exactly one assignment, e.g. [{"AccountTypeId": "<uuid>", "GroupId": "<uuid>"}]: create assignments one at a time',
    );
  }
  const record = objectAt(body[0], 'Body[0]', 'send {"AccountTypeId": "<uuid>", "GroupId": "<uuid>"}');
  onlyFields(record, ['AccountTypeId', 'GroupId'], 'Body[0]');
  return {
    AccountTypeId: uuidField(record.AccountTypeId, 'Body[0].AccountTypeId'),
    GroupId: uuidField(record.GroupId, 'Body[0].GroupId'),
  };
}

function permissionSetFields(record: Record<string, unknown>): PermissionSetFields {
  return {
    ...(record.Description !== undefined && { Description: description(record.Description) }),
    ...(record.AWSManagedPolicies !== undefined && {
      AWSManagedPolicies: managedPolicies(record.AWSManagedPolicies),
    }),
    ...(record.InlinePolicies !== undefined && { InlinePolicies: inlinePolicies(record.InlinePolicies) }),
    ...(record.MaxSessionDuration !== undefined && {
      MaxSessionDuration: sessionDuration(record.MaxSessionDuration),
    }),
    ...(record.Tags !== undefined && { Tags: tags(record.Tags) }),
  };
}

function permissionSetName(value: unknown): string {
  const field = 'Body.Name';
  if (value === undefined)
    throw new ValidationError(field, 'is required: the name of the IAM role to create');
  const name = stringAt(value, field);
  if (name.length < 1 || name.length > LIMITS.nameLength) {
    throw new ValidationError(field, `must be 1 to ${LIMITS.nameLength} characters long`);
  }
  if (!NAME_PATTERN.test(name)) {
    throw new ValidationError(
      field,
      'may contain only letters, digits and _+=,.@- (it becomes an IAM role name): remove other characters',
    );
  }
  if (RESERVED_PREFIX.test(name)) {
    throw new ValidationError(
      field,
      'must not start with "stax" or "idam" (any case): those names are reserved for built-in roles',
    );
  }
  return name;
}

function description(value: unknown): string {
  const field = 'Body.Description';
  const text = stringAt(value, field);
  if (text.length > LIMITS.descriptionLength) {
    throw new ValidationError(field, `must be at most ${LIMITS.descriptionLength} characters long`);
  }
  if (!DESCRIPTION_PATTERN.test(text)) {
    throw new ValidationError(
      field,
      'may contain only letters, digits, blanks and _/+=,.@- (and not be empty): remove other characters',
    );
  }
  return text;
}

function managedPolicies(value: unknown): { PolicyArn: string }[] {
  const field = 'Body.AWSManagedPolicies';
  const list = arrayAt(value, field, LIMITS.managedPolicies, 'AWS managed policies');
  const seen = new Set<string>();
  return list.map((entry, index) => {
    const at = `${field}[${index}]`;
    const record = objectAt(entry, at, 'send {"PolicyArn": "arn:aws:iam::aws:policy/..."}');
    onlyFields(record, ['PolicyArn'], at);
    if (record.PolicyArn === undefined) throw new ValidationError(`${at}.PolicyArn`, 'is required');
    const arn = stringAt(record.PolicyArn, `${at}.PolicyArn`);
    if (!isKnownManagedPolicyArn(arn)) {
      throw new ValidationError(
        `${at}.PolicyArn`,
        `${JSON.stringify(arn.slice(0, 200))} is not an AWS managed policy staxid knows: pick one from GET /20210321/permission-sets/aws-managed-policies`,
      );
    }
    if (seen.has(arn)) throw new ValidationError(`${at}.PolicyArn`, 'is listed twice: list each policy once');
    seen.add(arn);
    return { PolicyArn: arn };
  });
}

function inlinePolicies(value: unknown): { Name: string; Policy: string }[] {
  const field = 'Body.InlinePolicies';
  const list = arrayAt(value, field, LIMITS.inlinePolicies, 'inline policies');
  const seen = new Set<string>();
  const policies = list.map((entry, index) => {
    const at = `${field}[${index}]`;
    const record = objectAt(entry, at, 'send {"Name": "...", "Policy": "<IAM policy JSON>"}');
    onlyFields(record, ['Name', 'Policy'], at);
    if (record.Name === undefined) throw new ValidationError(`${at}.Name`, 'is required');
    if (record.Policy === undefined) throw new ValidationError(`${at}.Policy`, 'is required');
    const name = stringAt(record.Name, `${at}.Name`);
    if (name.length < 1 || name.length > LIMITS.inlinePolicyNameLength || !NAME_PATTERN.test(name)) {
      throw new ValidationError(
        `${at}.Name`,
        `must be 1 to ${LIMITS.inlinePolicyNameLength} letters, digits or _+=,.@-`,
      );
    }
    if (name.toLowerCase().startsWith(RESERVED_INLINE_POLICY_PREFIX)) {
      throw new ValidationError(
        `${at}.Name`,
        `must not start with "${RESERVED_INLINE_POLICY_PREFIX}": staxid keeps its own policies on the role under that prefix (e.g. "${REVOCATION_POLICY_NAME}", ADR 0013); choose another name`,
      );
    }
    if (seen.has(name.toLowerCase())) {
      throw new ValidationError(`${at}.Name`, 'is used by another inline policy: give each a distinct name');
    }
    seen.add(name.toLowerCase());
    return { Name: name, Policy: policyDocument(record.Policy, `${at}.Policy`) };
  });
  const tooLarge = inlinePolicyRoomProblem(policies.map((policy) => policy.Policy));
  if (tooLarge) throw new ValidationError(field, tooLarge);
  return policies;
}

/** An IAM identity policy: JSON with Version and Statement, each statement complete. */
export function policyDocument(value: unknown, field: string): string {
  const text = stringAt(value, field);
  if (text.length === 0)
    throw new ValidationError(field, 'is empty: send an IAM policy document as a string');
  if (text.length > LIMITS.inlinePolicyLength) {
    throw new ValidationError(
      field,
      `is ${text.length} characters long; an inline policy may have at most ${LIMITS.inlinePolicyLength}: shorten it or split it into several inline policies`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new ValidationError(field, 'is not valid JSON: send the policy document as a JSON string');
  }
  const record = objectAt(document, field, 'a policy document is a JSON object with Version and Statement');
  onlyFields(record, ['Version', 'Id', 'Statement'], field);
  if (record.Version !== '2012-10-17' && record.Version !== '2008-10-17') {
    throw new ValidationError(`${field}.Version`, 'must be "2012-10-17"');
  }
  const statements = Array.isArray(record.Statement) ? record.Statement : [record.Statement];
  if (record.Statement === undefined || statements.length === 0) {
    throw new ValidationError(`${field}.Statement`, 'is required: list at least one statement');
  }
  statements.forEach((statement, index) => {
    checkStatement(statement, `${field}.Statement[${index}]`);
  });
  return text;
}

const STATEMENT_FIELDS = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'];

function checkStatement(value: unknown, field: string): void {
  const statement = objectAt(value, field, 'a statement is a JSON object with Effect, Action and Resource');
  if ('Principal' in statement || 'NotPrincipal' in statement) {
    throw new ValidationError(
      `${field}.Principal`,
      'is not allowed in a role’s permissions policy (the role is the principal): remove it',
    );
  }
  onlyFields(statement, STATEMENT_FIELDS, field);
  if (statement.Sid !== undefined && typeof statement.Sid !== 'string') {
    throw new ValidationError(`${field}.Sid`, 'must be a string');
  }
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    throw new ValidationError(`${field}.Effect`, 'must be "Allow" or "Deny"');
  }
  exactlyOneOf(statement, field, 'Action', 'NotAction');
  exactlyOneOf(statement, field, 'Resource', 'NotResource');
  if (
    statement.Condition !== undefined &&
    (typeof statement.Condition !== 'object' ||
      statement.Condition === null ||
      Array.isArray(statement.Condition))
  ) {
    throw new ValidationError(`${field}.Condition`, 'must be an object of condition operators');
  }
}

function exactlyOneOf(
  statement: Record<string, unknown>,
  field: string,
  name: string,
  negated: string,
): void {
  const present = [name, negated].filter((key) => statement[key] !== undefined);
  if (present.length !== 1) {
    throw new ValidationError(`${field}.${name}`, `a statement needs exactly one of ${name} or ${negated}`);
  }
  const key = present[0] ?? name;
  const value = statement[key];
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0 || values.some((entry) => typeof entry !== 'string' || entry === '')) {
    throw new ValidationError(`${field}.${key}`, 'must be a non-empty string or a non-empty array of them');
  }
}

function sessionDuration(value: unknown): number {
  const field = 'Body.MaxSessionDuration';
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < LIMITS.session.min ||
    value > LIMITS.session.max
  ) {
    throw new ValidationError(
      field,
      `must be a whole number of seconds from ${LIMITS.session.min} (1 hour) to ${LIMITS.session.max} (12 hours)`,
    );
  }
  return value;
}

function tags(value: unknown): Record<string, string> {
  const field = 'Body.Tags';
  const record = objectAt(value, field, 'send tags as {"Key": "Value"}');
  const entries = Object.entries(record);
  if (entries.length > LIMITS.tags) {
    throw new ValidationError(field, `has ${entries.length} tags; at most ${LIMITS.tags} are allowed`);
  }
  for (const [key, tagValue] of entries) {
    if (key.length < 1 || key.length > LIMITS.tagKeyLength || !TAG_KEY_PATTERN.test(key)) {
      throw new ValidationError(
        field,
        `tag key ${JSON.stringify(key.slice(0, 120))} must be 1 to ${LIMITS.tagKeyLength} letters, digits, blanks or _.:/=+-@`,
      );
    }
    if (RESERVED_TAG_KEY.test(key)) {
      throw new ValidationError(
        field,
        `tag key ${JSON.stringify(key)} is reserved: keys starting with "staxid" (any case) are staxid's own session tags (e.g. "staxid-support-case"), and a role tag becomes a principal tag that policies would take for one; IAM refuses keys starting with "aws:". Choose another key`,
      );
    }
    if (typeof tagValue !== 'string') throw new ValidationError(`${field}.${key}`, 'must be a string');
    if (tagValue.length > LIMITS.tagValueLength || !TAG_VALUE_PATTERN.test(tagValue)) {
      throw new ValidationError(
        `${field}.${key}`,
        `must be at most ${LIMITS.tagValueLength} letters, digits, blanks or _.:/=+-@`,
      );
    }
  }
  return record as Record<string, string>;
}

function uuidField(value: unknown, field: string): string {
  if (value === undefined) throw new ValidationError(field, 'is required');
  if (typeof value !== 'string' || !isUuid(value)) {
    throw new ValidationError(field, 'must be a UUID, e.g. "ec5eaa8f-da06-4935-b5ce-05bd957c8bdc"');
  }
  return value.toLowerCase();
}

function objectAt(value: unknown, field: string, hint: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(field, `must be a JSON object: ${hint}`);
  }
  return value as Record<string, unknown>;
}

function arrayAt(value: unknown, field: string, max: number, what: string): unknown[] {
  if (!Array.isArray(value)) throw new ValidationError(field, 'must be an array');
  if (value.length > max) {
    throw new ValidationError(field, `lists ${value.length} ${what}; at most ${max} are allowed`);
  }
  return value;
}

function stringAt(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new ValidationError(field, 'must be a string');
  return value;
}

function onlyFields(record: Record<string, unknown>, allowed: readonly string[], root: string): void {
  for (const name of Object.keys(record)) {
    if (!allowed.includes(name)) {
      throw new ValidationError(
        `${root}.${name}`,
        `is not a known field (expected ${allowed.join(', ')}): remove it or check the spelling`,
      );
    }
  }
}
