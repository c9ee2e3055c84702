import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTES } from '@/lambdas/routes';
import { ValidationError } from '@/lambdas/shared/errors';
import type { OperationId } from '@/lambdas/shared/permissions';
import {
  type CoreSchemaName,
  requestSchemaNames,
  requestValidatorOf,
  requestValidatorsSource,
  schemaErrors,
  validatorExportName,
} from '@/lambdas/shared/spec-schemas';
import { assertMatchesSchema } from '@/lambdas/shared/spec-validator';
import coreSpec from '@/spec/stax-core-identity-20190206.openapi.json';
import { REPO_ROOT } from '@/test/support/config';

function validatorOf(name: CoreSchemaName) {
  const validate = requestValidatorOf(name);
  if (!validate) throw new Error(`no precompiled request validator for ${name}`);
  return validate;
}

function refusal(fn: () => void): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.message;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('assertMatchesSchema (requests)', () => {
  it('accepts a body that matches', () => {
    expect(() =>
      assertMatchesSchema(validatorOf('teams.CreateUser'), {
        Email: 'a.person@example.com',
        FirstName: 'A',
        LastName: 'Person',
      }),
    ).not.toThrow();
  });

  it('refuses fields the schema does not list, even where the spec leaves objects open', () => {
    expect(
      refusal(() => assertMatchesSchema(validatorOf('teams.CreateGroup'), { Name: 'DevOps', Extra: true })),
    ).toBe('Body.Extra: is not a known field: remove it or check the spelling');
  });

  it('names nested fields by their path', () => {
    expect(
      refusal(() =>
        assertMatchesSchema(validatorOf('teams.UpdateGroupMembers'), {
          AddMembers: [{ UserId: 'not-a-uuid', GroupId: 'x' }],
        }),
      ),
    ).toBe(
      'Body.AddMembers[0].GroupId: must match pattern "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"',
    );
  });

  it('lists the accepted values of an enum', () => {
    expect(
      refusal(() =>
        assertMatchesSchema(validatorOf('teams.CreateUser'), {
          Email: 'a@example.com',
          FirstName: 'A',
          LastName: 'B',
          Role: 'root',
        }),
      ),
    ).toBe(
      'Body.Role: must be one of "customer_admin", "customer_user", "customer_readonly", "customer_costadmin"',
    );
  });

  it('explains a map object missing its combination of fields', () => {
    expect(
      refusal(() =>
        assertMatchesSchema(validatorOf('accounts.UpdateAccountTypeAccess'), {
          AddRoles: [{ GroupName: 'DevOps', RoleName: 'admin' }],
        }),
      ),
    ).toBe(
      'Body.AddRoles[0]: needs one of these sets of fields: AccountTypeId + GroupId + RoleName; AccountTypeName + GroupId + RoleName; AccountTypeId + GroupName + RoleName; AccountTypeName + GroupName + RoleName',
    );
  });
});

describe('schemaErrors (responses)', () => {
  it('is empty for a conforming body and lists each violation otherwise', () => {
    expect(schemaErrors('tasks.ReadTask', { Status: 'SUCCEEDED', Logs: [] })).toEqual([]);
    expect(schemaErrors('tasks.ReadTask', { Status: 'DONE' })).toEqual([
      '$.Logs: is required',
      '$.Status: must be one of "STARTED", "PENDING", "RUNNING", "SUCCEEDED", "FAILED"',
    ]);
  });

  it('reads the spec as written: open objects stay open for responses', () => {
    expect(schemaErrors('teams.CreateGroup', { Name: 'DevOps', Extra: true })).toEqual([]);
  });
});

describe('the precompiled request validators', () => {
  it('are up to date with the spec: run `npm run generate` when this fails', () => {
    const committed = readFileSync(join(REPO_ROOT, 'lambdas/shared/generated/request-validators.ts'), 'utf8');
    expect(committed === requestValidatorsSource()).toBe(true);
  });

  it('cover every request body of the spec', () => {
    expect(requestSchemaNames()).toEqual(
      expect.arrayContaining(['teams.CreateUser', 'accounts.UpdateAccountTypeAccess']),
    );
    for (const name of requestSchemaNames()) expect(requestValidatorOf(name)).toBeInstanceOf(Function);
  });

  it('are each imported by the handler of the operation that takes that body, and by no other', () => {
    const handlers = new Map(ROUTES.map((route) => [route.operationId, route.handler]));
    const expected = Object.values(coreSpec.paths).flatMap((operations) =>
      Object.values(operations as Record<string, { operationId?: string; requestBody?: unknown }>).flatMap(
        (operation) => {
          const ref = JSON.stringify(operation.requestBody ?? null).match(
            /"#\/components\/schemas\/([^"]+)"/,
          );
          const handler = operation.operationId && handlers.get(operation.operationId as OperationId);
          return ref?.[1] && handler ? [[handler, validatorExportName(ref[1])]] : [];
        },
      ),
    );
    expect(expected.length).toBeGreaterThanOrEqual(11);
    for (const [handler, validator] of expected) {
      const source = readFileSync(join(REPO_ROOT, handler ?? ''), 'utf8');
      expect([handler, source.match(/requestSchema: (\w+)/)?.[1]]).toEqual([handler, validator]);
    }
  });

  it('check formats as the spec says', () => {
    expect(
      refusal(() =>
        assertMatchesSchema(validatorOf('teams.CreateUser'), {
          Email: 'not-an-email',
          FirstName: 'A',
          LastName: 'B',
        }),
      ),
    ).toBe('Body.Email: must match format "email"');
  });
});
