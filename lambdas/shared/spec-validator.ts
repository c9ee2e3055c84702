import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ValidationError } from '@/lambdas/shared/errors';
import coreSpec from '@/spec/stax-core-identity-20190206.openapi.json';

/**
 * Validation against the reference Stax specs (copied verbatim into spec/). Requests
 * are checked before domain code runs; tests check every response the same way.
 * Validators are compiled on first use and kept for the life of the container.
 */

const CORE_SPEC_ID = 'stax-core-identity-20190206';

const ajv = new Ajv({
  allErrors: true,
  // The spec carries OpenAPI-only keywords (example, readOnly, nullable...): not errors.
  strict: false,
});
addFormats(ajv);
ajv.addSchema(coreSpec, CORE_SPEC_ID);

const validators = new Map<string, ValidateFunction>();

/** The names of the spec's component schemas (`teams.CreateUser`, `Group`, ...). */
export type CoreSchemaName = keyof typeof coreSpec.components.schemas;

export function coreSchemaValidator(name: CoreSchemaName): ValidateFunction {
  let validate = validators.get(name);
  if (!validate) {
    validate = ajv.compile({ $ref: `${CORE_SPEC_ID}#/components/schemas/${escapePointer(name)}` });
    validators.set(name, validate);
  }
  return validate;
}

/** Throws a ValidationError naming the first offending field, with what it must be. */
export function assertMatchesSchema(name: CoreSchemaName, value: unknown, root = 'Body'): void {
  const validate = coreSchemaValidator(name);
  if (validate(value)) return;
  const [first] = validate.errors ?? [];
  if (!first) throw new ValidationError(root, `does not match ${name}`);
  throw toValidationError(first, root);
}

/** Every schema violation, for test diagnostics. */
export function schemaErrors(name: CoreSchemaName, value: unknown): string[] {
  const validate = coreSchemaValidator(name);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => toValidationError(error, '$').message);
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
      return new ValidationError(
        path,
        'does not have one of the accepted combinations of fields (see the API reference)',
      );
    default:
      return new ValidationError(path, error.message ?? 'is invalid');
  }
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

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
