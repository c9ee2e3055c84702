import { PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { createGroupHandler } from '@/lambdas/groups/create-group';
import { groupItem } from '@/lambdas/groups/group-items';
import { updateGroupMembersHandler } from '@/lambdas/groups/update-group-members';
import { newId } from '@/lambdas/shared/ids';
import { createHarness, type Harness, putUser, UNKNOWN_ID } from '@/test/lambdas/tasks/harness';
import { ADMIN, invoke } from '@/test/support/api-event';

/**
 * teams.UpdateGroupMembers over random bodies: well-formed ones over a pool of real, SCIM,
 * deleted and unknown ids, and arbitrary JSON and text. Never a 5xx; on any 4xx the table
 * is exactly as before; on 200 the members are exactly what the body asked for.
 */

let h: Harness;
const members = updateGroupMembersHandler(() => h.deps);
const pool = { groups: [] as string[], scimGroup: '', users: [] as string[], deletedUser: '' };

beforeAll(async () => {
  h = await createHarness();
  const create = createGroupHandler(() => h.deps);
  for (const name of ['Property one', 'Property two']) {
    const response = await invoke(create, { method: 'POST', body: { Name: name }, caller: ADMIN });
    pool.groups.push((response.body as { GroupId: string }).GroupId);
  }
  pool.scimGroup = newId();
  await h.table.doc.send(
    new PutCommand({
      TableName: h.table.tableName,
      Item: groupItem({
        id: pool.scimGroup,
        name: 'Property SCIM',
        groupType: 'SCIM',
        status: 'ACTIVE',
        version: 1,
      }),
    }),
  );
  pool.users = [await putUser(h), await putUser(h), await putUser(h, { status: 'DISABLED' })];
  pool.deletedUser = await putUser(h, { status: 'DELETED' });
});
afterAll(() => h.drop());

function memberships(snapshot: Record<string, unknown>[]): string[] {
  return snapshot
    .filter((item) => String(item.SK).startsWith('MEMBER#'))
    .map((item) => `${String(item.PK).slice('GROUP#'.length)}/${String(item.SK).slice('MEMBER#'.length)}`)
    .sort();
}

const caseOf = (id: fc.Arbitrary<string>) =>
  fc.tuple(id, fc.boolean()).map(([value, upper]) => (upper ? value.toUpperCase() : value));

test('never answers 5xx, and a refused request changes nothing', async () => {
  const groupId = caseOf(fc.constantFrom(...pool.groups, pool.groups[0] ?? '', pool.scimGroup, UNKNOWN_ID));
  const userId = caseOf(fc.constantFrom(...pool.users, pool.deletedUser, UNKNOWN_ID));
  const junkId = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant('not-a-uuid'));
  const entry = fc.oneof(
    { weight: 8, arbitrary: fc.record({ GroupId: groupId, UserId: userId }) },
    {
      weight: 1,
      arbitrary: fc.record(
        { GroupId: fc.oneof(groupId, junkId), UserId: fc.oneof(userId, junkId), Extra: fc.jsonValue() },
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue() },
  );
  const body = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record(
        { AddMembers: fc.array(entry, { maxLength: 4 }), RemoveMembers: fc.array(entry, { maxLength: 4 }) },
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue() },
    { weight: 1, arbitrary: fc.string().map((text) => `{${text}`) },
  );

  let successes = 0;
  let refusals = 0;
  await fc.assert(
    fc.asyncProperty(body, async (sent) => {
      const before = await h.snapshot();
      const response = await invoke(members, { method: 'PUT', body: sent, caller: ADMIN });
      expect(response.status).toBeLessThan(500);
      const after = await h.snapshot();
      if (response.status >= 400) {
        refusals += 1;
        expect(after).toEqual(before);
        return;
      }
      successes += 1;
      expect(response.status).toBe(200);
      const request = sent as {
        AddMembers?: { GroupId: string; UserId: string }[];
        RemoveMembers?: typeof request.AddMembers;
      };
      const expected = new Set(memberships(before));
      const pair = (entry: { GroupId: string; UserId: string }) =>
        `${entry.GroupId}/${entry.UserId}`.toLowerCase();
      for (const entry of request.AddMembers ?? []) expected.add(pair(entry));
      for (const entry of request.RemoveMembers ?? []) expected.delete(pair(entry));
      expect(memberships(after)).toEqual([...expected].sort());
    }),
    { numRuns: 100, seed: 20260101 },
  );
  // The generator reaches both sides of the property.
  expect(successes).toBeGreaterThan(5);
  expect(refusals).toBeGreaterThan(5);
});
