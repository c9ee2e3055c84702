import type { ErrorObject } from 'ajv';
import { ValidationError } from '@/lambdas/shared/errors';

/**
 * Request validation against the reference Stax spec (copied verbatim into spec/), with
 * validators precompiled from it (scripts/generate-request-validators.ts): the Lambdas
 * bundle neither ajv nor the spec. Each handler imports the one validator of its request
 * body from lambdas/shared/generated/request-validators.ts, so that its bundle carries that
 * validator only, not all of them. Responses are checked against the spec in the tests
 * (lambdas/shared/spec-schemas.ts).
 */

/** A precompiled validator of the generated module: true when the body matches, else `errors` says why. */
export type RequestValidator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** Checks a request body; throws a ValidationError naming the first offending field, with what it must be. */
export function assertMatchesSchema(validate: RequestValidator, value: unknown, root = 'Body'): void {
  if (validate(value)) return;
  const errors = validate.errors ?? [];
  // A failed anyOf/oneOf explains the problem better than the branch errors that precede it.
  const chosen = errors.find((error) => error.keyword === 'anyOf' || error.keyword === 'oneOf') ?? errors[0];
  if (!chosen) throw new ValidationError(root, 'does not match the request schema of this operation');
  throw toValidationError(chosen, root);
}

function toValidationError(error: ErrorObject, root: string): ValidationError {
  const path = pointerToPath(root, error.instancePath);
  switch (error.keyword) {
    case 'required':
      return new ValidationError(`${path}.${String(error.params.missingProperty)}`, 'is required');
    case 'additionalProperties':
      return new ValidationError(
        `${path}.${String(error.params.additionalProperty)}`,
        'is not a known field: remove it or check the spelling',
      );
    case 'enum':
      return new ValidationError(
        path,
        `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      );
    case 'anyOf':
    case 'oneOf':
      return new ValidationError(path, alternativesMessage(error.schema));
    default:
      return new ValidationError(path, error.message ?? 'is invalid');
  }
}

/** "needs one of these sets of fields: A + B; C + D" for anyOf branches that only differ in what they require. */
function alternativesMessage(branches: unknown): string {
  const sets = Array.isArray(branches)
    ? branches.map((branch) =>
        branch !== null &&
        typeof branch === 'object' &&
        'required' in branch &&
        Array.isArray(branch.required)
          ? (branch.required as unknown[]).map(String).join(' + ')
          : undefined,
      )
    : [];
  if (sets.length === 0 || sets.some((set) => set === undefined)) {
    return 'does not match any of the accepted forms (see the API reference)';
  }
  return `needs one of these sets of fields: ${sets.join('; ')}`;
}

function pointerToPath(root: string, pointer: string): string {
  if (pointer === '') return root;
  const segments = pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  return segments.reduce(
    (path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : `${path}.${segment}`),
    root,
  );
}
