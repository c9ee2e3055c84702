import { PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { createAccountTypeHandler } from '@/lambdas/accounts/create-account-type';
import { updateAccountTypeAccessHandler } from '@/lambdas/accounts/update-account-type-access';
import { createGroupHandler } from '@/lambdas/groups/create-group';
import { groupItem } from '@/lambdas/groups/group-items';
import { newId } from '@/lambdas/shared/ids';
import { createHarness, type Harness, UNKNOWN_ID } from '@/test/lambdas/tasks/harness';
import { ADMIN, invoke } from '@/test/support/api-event';

/**
 * accounts.UpdateAccountTypeAccess over random bodies naming account types and groups by id
 * or by name (real, SCIM, unknown, in any case), with valid and invalid roles, plus arbitrary
 * JSON. Never a 5xx; on any 4xx the table is exactly as before; on 200 each account type's
 * Roles are exactly what the body asked for.
 */

let h: Harness;
const access = updateAccountTypeAccessHandler(() => h.deps);
const types: { id: string; name: string }[] = [];
const groups: { id: string; name: string }[] = [];

beforeAll(async () => {
  h = await createHarness();
  const createType = createAccountTypeHandler(() => h.deps);
  const createGroup = createGroupHandler(() => h.deps);
  for (const name of ['Development', 'Production']) {
    const response = await invoke(createType, { method: 'POST', body: { Name: name }, caller: ADMIN });
    types.push({
      id: (response.body as { Detail: { AccountType: { Id: string } } }).Detail.AccountType.Id,
      name,
    });
  }
  for (const name of ['Developers', 'Operators']) {
    const response = await invoke(createGroup, { method: 'POST', body: { Name: name }, caller: ADMIN });
    groups.push({ id: (response.body as { GroupId: string }).GroupId, name });
  }
  const scim = { id: newId(), name: 'Federated' };
  await h.table.doc.send(
    new PutCommand({
      TableName: h.table.tableName,
      Item: groupItem({ id: scim.id, name: scim.name, groupType: 'SCIM', status: 'ACTIVE', version: 1 }),
    }),
  );
  groups.push(scim);
});
afterAll(() => h.drop());

/** Every grant in the table, as `typeId/groupId/role`. */
function grants(snapshot: Record<string, unknown>[]): string[] {
  return snapshot
    .filter((item) => item.SK === 'ACCOUNTTYPE')
    .flatMap((item) =>
      (item.Roles as { GroupId: string; RoleName: string }[]).map(
        (role) => `${String(item.Id)}/${role.GroupId}/${role.RoleName}`,
      ),
    )
    .sort();
}

const anyCase = (value: string) => fc.constantFrom(value, value.toUpperCase(), value.toLowerCase());

test('never answers 5xx, and a refused request changes nothing', async () => {
  const typeRef = fc.oneof(
    {
      weight: 40,
      arbitrary: fc.constantFrom(...types).chain((type) =>
        fc.oneof(
          anyCase(type.id).map((AccountTypeId) => ({ AccountTypeId })),
          anyCase(type.name).map((AccountTypeName) => ({ AccountTypeName })),
          fc.constant({ AccountTypeId: type.id, AccountTypeName: type.name }),
        ),
      ),
    },
    { weight: 1, arbitrary: fc.constant({ AccountTypeId: UNKNOWN_ID }) },
    { weight: 1, arbitrary: fc.constant({ AccountTypeName: 'Nowhere' }) },
    { weight: 1, arbitrary: fc.constant({ AccountTypeId: types[0]?.id, AccountTypeName: types[1]?.name }) },
    { weight: 1, arbitrary: fc.constant({}) },
    {
      weight: 1,
      arbitrary: fc
        .string({ minLength: 50, maxLength: 3000, size: 'max' })
        .map((AccountTypeName) => ({ AccountTypeName })),
    },
  );
  const groupRef = fc.oneof(
    {
      weight: 40,
      arbitrary: fc.constantFrom(...groups).chain((group) =>
        fc.oneof(
          anyCase(group.id).map((GroupId) => ({ GroupId })),
          anyCase(group.name).map((GroupName) => ({ GroupName })),
        ),
      ),
    },
    { weight: 1, arbitrary: fc.constant({ GroupId: UNKNOWN_ID }) },
    { weight: 1, arbitrary: fc.constant({ GroupName: 'Nobody' }) },
    { weight: 1, arbitrary: fc.constant({ GroupId: 'not-a-uuid' }) },
    {
      weight: 1,
      arbitrary: fc
        .string({ minLength: 50, maxLength: 3000, size: 'max' })
        .map((GroupName) => ({ GroupName })),
    },
  );
  const role = fc.oneof(
    { weight: 40, arbitrary: fc.constantFrom('admin', 'developer', 'readonly') },
    { weight: 1, arbitrary: fc.string() },
  );
  const entry = fc.oneof(
    {
      weight: 40,
      arbitrary: fc
        .tuple(typeRef, groupRef, role)
        .map(([type, group, RoleName]) => ({ ...type, ...group, RoleName })),
    },
    { weight: 1, arbitrary: fc.jsonValue() },
  );
  const body = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record(
        { AddRoles: fc.array(entry, { maxLength: 3 }), RemoveRoles: fc.array(entry, { maxLength: 2 }) },
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue() },
    { weight: 1, arbitrary: fc.constant('[1, 2') },
  );

  const typeIdOf = (entry: Record<string, string>) =>
    entry.AccountTypeId?.toLowerCase() ??
    types.find((type) => type.name.toLowerCase() === entry.AccountTypeName?.toLowerCase())?.id;
  const groupIdOf = (entry: Record<string, string>) =>
    entry.GroupId?.toLowerCase() ??
    groups.find((group) => group.name.toLowerCase() === entry.GroupName?.toLowerCase())?.id;

  let successes = 0;
  let refusals = 0;
  await fc.assert(
    fc.asyncProperty(body, async (sent) => {
      const before = await h.snapshot();
      const response = await invoke(access, { method: 'PUT', body: sent, caller: ADMIN });
      expect(response.status).toBeLessThan(500);
      const after = await h.snapshot();
      if (response.status >= 400) {
        refusals += 1;
        expect(after).toEqual(before);
        return;
      }
      successes += 1;
      const request = sent as { AddRoles?: Record<string, string>[]; RemoveRoles?: Record<string, string>[] };
      const expected = new Set(grants(before));
      const key = (entry: Record<string, string>) =>
        `${typeIdOf(entry)}/${groupIdOf(entry)}/${entry.RoleName}`;
      for (const entry of request.AddRoles ?? []) expected.add(key(entry));
      for (const entry of request.RemoveRoles ?? []) expected.delete(key(entry));
      expect(grants(after)).toEqual([...expected].sort());
    }),
    { numRuns: 100, seed: 20260102 },
  );
  expect(successes).toBeGreaterThan(5);
  expect(refusals).toBeGreaterThan(5);
});
