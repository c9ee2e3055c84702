/**
 * A SCIM user who has signed in has a Cognito user: deactivating them through SCIM disables
 * it (cognito-local), re-activating enables it, deprovisioning deletes it. And parallel
 * membership changes of one group (Entra sends them concurrently) all land.
 */
import { AdminCreateUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { readGroup } from '@/lambdas/groups/groups';
import { userKey } from '@/lambdas/users/user-model';
import { createScimHarness, type ScimHarness } from '@/test/lambdas/scim/harness';
import { startTestCognito, type TestCognito } from '@/test/support/cognito-local';

let cognito: TestCognito;
let h: ScimHarness;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

beforeAll(async () => {
  cognito = await startTestCognito();
  h = await createScimHarness({ directory: cognito.directory });
});
afterAll(async () => {
  await h.drop();
  await cognito.stop();
});

async function provision(userName: string): Promise<string> {
  const created = await h.scim('POST', '/Users', { body: { userName, active: true } });
  expect(created.status).toBe(201);
  return String(created.body.id);
}

it('disables, enables and deletes the Cognito user of a SCIM user who has signed in', async () => {
  const id = await provision('signed.in@example.com');
  // What the federated sign-in trigger records on first sign-in: the pool username.
  const username = `okta_${id}`;
  await cognito.client.send(
    new AdminCreateUserCommand({
      UserPoolId: cognito.userPoolId,
      Username: username,
      MessageAction: 'SUPPRESS',
    }),
  );
  await h.table.doc.send(
    new UpdateCommand({
      TableName: h.table.tableName,
      Key: userKey(id),
      UpdateExpression: 'SET CognitoUsername = :username',
      ExpressionAttributeValues: { ':username': username },
    }),
  );

  const replace = (active: string) => ({
    schemas: [PATCH_OP],
    Operations: [{ op: 'Replace', path: 'active', value: active }],
  });
  expect((await h.scim('PATCH', `/Users/${id}`, { body: replace('False') })).status).toBe(200);
  expect((await cognito.getUser(username))?.Enabled).toBe(false);
  expect((await h.scim('PATCH', `/Users/${id}`, { body: replace('True') })).status).toBe(200);
  expect((await cognito.getUser(username))?.Enabled).toBe(true);
  expect((await h.scim('DELETE', `/Users/${id}`)).status).toBe(204);
  expect(await cognito.getUser(username)).toBeUndefined();
});

it('lands every one of parallel membership changes of one group', async () => {
  const users = await Promise.all(['p1', 'p2', 'p3', 'p4'].map((name) => provision(`${name}@example.com`)));
  const group = await h.scim('POST', '/Groups', { body: { displayName: 'Parallel' } });
  const groupId = String(group.body.id);
  const responses = await Promise.all(
    users.map((userId) =>
      h.scim('PATCH', `/Groups/${groupId}`, {
        body: {
          schemas: [PATCH_OP],
          Operations: [{ op: 'Add', path: 'members', value: [{ value: userId }] }],
        },
      }),
    ),
  );
  expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200]);
  const { Groups } = await readGroup({ ...h.deps }, groupId);
  expect([...(Groups[0]?.Users ?? [])].sort()).toEqual([...users].sort());
});
