import { ValidationError } from '@/lambdas/shared/errors';
import { assertValidTags } from '@/lambdas/shared/tags';

describe('assertValidTags', () => {
  it('accepts ordinary tags, none, and null', () => {
    expect(() => assertValidTags({ CostCode: '12345', Team: '' })).not.toThrow();
    expect(() => assertValidTags(undefined)).not.toThrow();
    expect(() => assertValidTags(null)).not.toThrow();
  });

  it.each([
    [{ '': 'x' }, 'Body.Tags: tag keys must be 1 to 128 characters (got "")'],
    [
      { ['k'.repeat(129)]: 'x' },
      `Body.Tags: tag keys must be 1 to 128 characters (got "${'k'.repeat(129)}")`,
    ],
    [{ Team: 'v'.repeat(257) }, 'Body.Tags.Team: must be at most 256 characters'],
  ])('refuses %j', (tags, message) => {
    expect(() => assertValidTags(tags)).toThrow(
      new ValidationError('x', 'y').constructor as typeof ValidationError,
    );
    expect(() => assertValidTags(tags)).toThrow(message);
  });
});
