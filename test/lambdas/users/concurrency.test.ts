/**
 * Parallel requests: two CreateUser with one address (exactly one wins, the other is a
 * 409), and two UpdateUser on one user (no lost update: the one that loses the race is
 * read again and re-applied, so both changes land; should it keep losing, it is a 409 and
 * its change is absent).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { newUserBody, startUsersFixture, type UsersFixture } from '@/test/lambdas/users/fixtures';
import { ADMIN } from '@/test/support/api-event';

let f: UsersFixture;

beforeAll(async () => {
  f = await startUsersFixture();
});
afterAll(() => f.stop());

const ROUNDS = 5;

describe('two parallel CreateUser with the same email', () => {
  it.each(Array.from({ length: ROUNDS }, (_, round) => round))(
    'round %i: exactly one 200 and one 409',
    async (round) => {
      const email = `race-${round}@example.com`;
      const [first, second] = await Promise.all([
        f.call(f.handlers.createUser, { method: 'POST', caller: ADMIN, body: newUserBody({ Email: email }) }),
        f.call(f.handlers.createUser, {
          method: 'POST',
          caller: ADMIN,
          body: newUserBody({ Email: email.toUpperCase() }),
        }),
      ]);
      expect([first.status, second.status].sort()).toEqual([200, 409]);
      const loser = first.status === 409 ? first : second;
      expect(loser.body).toEqual({ Error: expect.stringContaining('already belongs to a user') });

      const items = await f.items();
      const users = items.filter((item) => item.SK === 'USER' && String(item.Email).toLowerCase() === email);
      expect(users).toHaveLength(1);
      const guard = items.find((item) => item.PK === `UNIQUE#EMAIL#${email}`);
      expect(guard?.UserId).toBe(users[0]?.Id);
      expect(await f.cognito.getUser(String(users[0]?.Id))).toBeDefined();
      // one task only: the loser's was never written
      const tasks = items.filter(
        (item) => item.SK === 'TASK' && JSON.stringify(item.Logs).toLowerCase().includes(email),
      );
      expect(tasks).toHaveLength(1);
    },
  );
});

describe('two parallel UpdateUser on one user', () => {
  it.each(Array.from({ length: ROUNDS }, (_, round) => round))('round %i: no lost update', async (round) => {
    const user = await f.seedUser();
    const [first, second] = await Promise.all([
      f.call(f.handlers.updateUser, {
        method: 'PUT',
        caller: ADMIN,
        pathParameters: { user_id: user.Id },
        body: { FirstName: `First-${round}` },
      }),
      f.call(f.handlers.updateUser, {
        method: 'PUT',
        caller: ADMIN,
        pathParameters: { user_id: user.Id },
        body: { LastName: `Last-${round}` },
      }),
    ]);
    const { Item: item } = await f.table.doc.send(
      new GetCommand({
        TableName: f.table.tableName,
        Key: { PK: `USER#${user.Id}`, SK: 'USER' },
        ConsistentRead: true,
      }),
    );
    for (const [response, field, value] of [
      [first, 'FirstName', `First-${round}`],
      [second, 'LastName', `Last-${round}`],
    ] as const) {
      if (response.status === 200) {
        expect(item?.[field]).toBe(value);
      } else {
        expect(response.status).toBe(409);
        expect(response.body).toEqual({
          Error: `User "${user.Id}" was changed by another request at the same time: read it again and retry`,
        });
        expect(item?.[field]).toBe(field === 'FirstName' ? user.FirstName : user.LastName);
      }
    }
    const successes = [first, second].filter((response) => response.status === 200).length;
    expect(successes).toBeGreaterThanOrEqual(1);
    expect(item?.Version).toBe(1 + successes);
  });
});
