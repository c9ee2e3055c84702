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

/** The names of the spec's component schemas (`teams.CreateUser`, `Group`, ...). */
export type CoreSchemaName = keyof typeof coreSpec.components.schemas;

function newAjv(spec: unknown): Ajv {
  // The spec carries OpenAPI-only keywords (example, readOnly, nullable...): not errors.
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
  addFormats(ajv);
  ajv.addSchema(spec as object, CORE_SPEC_ID);
  return ajv;
}

/**
 * Requests are held to a stricter reading of the spec than responses: an object schema
 * that lists its properties but does not say whether others are allowed refuses them,
 * so that a misspelt field is a 400 rather than silently ignored.
 */
function closeObjectSchemas(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjectSchemas);
  if (node === null || typeof node !== 'object') return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) copy[key] = closeObjectSchemas(value);
  const composed = 'allOf' in copy || 'oneOf' in copy;
  if ('properties' in copy && !('additionalProperties' in copy) && !composed)
    copy.additionalProperties = false;
  return copy;
}

const engines = {
  request: { ajv: newAjv(closeObjectSchemas(coreSpec)), validators: new Map<string, ValidateFunction>() },
  response: { ajv: newAjv(coreSpec), validators: new Map<string, ValidateFunction>() },
};

function validatorFor(kind: keyof typeof engines, name: CoreSchemaName): ValidateFunction {
  const engine = engines[kind];
  let validate = engine.validators.get(name);
  if (!validate) {
    validate = engine.ajv.compile({ $ref: `${CORE_SPEC_ID}#/components/schemas/${escapePointer(name)}` });
    engine.validators.set(name, validate);
  }
  return validate;
}

/** Checks a request body; throws a ValidationError naming the first offending field, with what it must be. */
export function assertMatchesSchema(name: CoreSchemaName, value: unknown, root = 'Body'): void {
  const validate = validatorFor('request', name);
  if (validate(value)) return;
  const errors = validate.errors ?? [];
  // A failed anyOf/oneOf explains the problem better than the branch errors that precede it.
  const chosen = errors.find((error) => error.keyword === 'anyOf' || error.keyword === 'oneOf') ?? errors[0];
  if (!chosen) throw new ValidationError(root, `does not match ${name}`);
  throw toValidationError(chosen, root);
}

/** Every way a response body breaks the spec's schema (empty when it conforms). */
export function schemaErrors(name: CoreSchemaName, value: unknown): string[] {
  const validate = validatorFor('response', name);
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

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
