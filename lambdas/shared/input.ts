import { ValidationError } from '@/lambdas/shared/errors';
import { isUuid } from '@/lambdas/shared/ids';

/**
 * Checks of request parts the spec's schemas leave open: path ids, query parameters,
 * fields of bodies whose schema allows extra properties, and names. Every failure is a
 * 400 naming the parameter or field.
 */

const UUID_EXAMPLE = 'e.g. "ec5eaa8f-da06-4935-b5ce-05bd957c8bdc"';

/** A path parameter that must be a UUID. */
export function uuidParam(params: Readonly<Record<string, string>>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw new ValidationError(name, 'is required');
  if (!isUuid(value)) throw new ValidationError(name, `must be a UUID, ${UUID_EXAMPLE}`);
  return value.toLowerCase();
}

/** Refuses query parameters the operation does not define. */
export function assertKnownQuery(query: Readonly<Record<string, string>>, allowed: readonly string[]): void {
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name)) {
      throw new ValidationError(
        name,
        `is not a query parameter of this operation${allowed.length > 0 ? ` (it takes ${allowed.join(', ')})` : ''}`,
      );
    }
  }
}

/** A comma-delimited query parameter: its non-empty, trimmed values, or undefined when absent. */
export function csvParam(query: Readonly<Record<string, string>>, name: string): string[] | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  const values = raw
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');
  if (values.length === 0) throw new ValidationError(name, 'must list at least one value, comma delimited');
  return values;
}

/** A comma-delimited list of UUIDs. */
export function csvUuidParam(query: Readonly<Record<string, string>>, name: string): string[] | undefined {
  const values = csvParam(query, name);
  if (!values) return undefined;
  for (const value of values) {
    if (!isUuid(value)) {
      throw new ValidationError(name, `${JSON.stringify(value)} is not a UUID: list UUIDs, ${UUID_EXAMPLE}`);
    }
  }
  return values.map((value) => value.toLowerCase());
}

/** Refuses fields a body's schema does not define (for schemas that do not say `additionalProperties: false`). */
export function assertOnlyFields(body: unknown, allowed: readonly string[], root = 'Body'): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  for (const name of Object.keys(body)) {
    if (!allowed.includes(name)) {
      throw new ValidationError(`${root}.${name}`, 'is not a known field: remove it or check the spelling');
    }
  }
}

/**
 * A display name (group, account type): at least `min` characters, no leading or trailing
 * blanks, no control characters. The spec lets a create take 2 characters where the read
 * schema needs 3; staxid takes the stricter bound, so every name it stores reads back valid.
 */
export function checkName(name: string, field: string, limits: { min: number; max: number }): string {
  if (name.length < limits.min || name.length > limits.max) {
    throw new ValidationError(field, `must be ${limits.min} to ${limits.max} characters long`);
  }
  if (name.trim() !== name) throw new ValidationError(field, 'must not start or end with a blank');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(name))
    throw new ValidationError(field, 'must not contain control characters');
  return name;
}
