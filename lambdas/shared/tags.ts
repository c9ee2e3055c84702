import { ValidationError } from '@/lambdas/shared/errors';

/** AWS tag limits, which Stax tags follow: keys 1–128 characters, values up to 256. */
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;

/** Refuses tags the spec's open `Tags` object would let through but no store can hold (e.g. an empty key). */
export function assertValidTags(
  tags: Readonly<Record<string, string>> | null | undefined,
  field = 'Body.Tags',
): void {
  if (!tags) return;
  for (const [key, value] of Object.entries(tags)) {
    if (key.length === 0 || key.length > MAX_TAG_KEY_LENGTH) {
      throw new ValidationError(
        field,
        `tag keys must be 1 to ${MAX_TAG_KEY_LENGTH} characters (got ${JSON.stringify(key)})`,
      );
    }
    if (value.length > MAX_TAG_VALUE_LENGTH) {
      throw new ValidationError(`${field}.${key}`, `must be at most ${MAX_TAG_VALUE_LENGTH} characters`);
    }
  }
}
