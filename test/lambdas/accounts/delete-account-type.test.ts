import { deleteAccountTypeHandler } from '@/lambdas/accounts/delete-account-type';
import {
  createFixture,
  type Fixture,
  putAccountType,
  putGroup,
} from '@/test/lambdas/permission-sets/support';
import { ADMIN, invoke } from '@/test/support/api-event';

let f: Fixture;
let remove: ReturnType<typeof deleteAccountTypeHandler>;

beforeAll(async () => {
  f = await createFixture();
  remove = deleteAccountTypeHandler(() => f.h.deps);
});
afterAll(() => f.h.drop());

async function assignedAccountType() {
  const created = await invoke(f.handlers.create, {
    method: 'POST',
    caller: ADMIN,
    body: { Name: `Keeper-${Math.random().toString(36).slice(2, 8)}` },
  });
  expect(created.status).toBe(201);
  const set = created.body as { Id: string; Name: string };
  const type = await putAccountType(f.h, []);
  const assigned = await invoke(f.handlers.createAssignments, {
    method: 'POST',
    caller: ADMIN,
    pathParameters: { permission_set_id: set.Id },
    body: [{ AccountTypeId: type.id, GroupId: await putGroup(f.h) }],
  });
  expect(assigned.status).toBe(200);
  const [assignment] = assigned.body as { Id: string }[];
  if (!assignment) throw new Error('no assignment');
  return { set, typeId: type.id, assignmentId: assignment.Id };
}

function deleteType(accountTypeId: string) {
  return invoke(remove, {
    method: 'DELETE',
    pathParameters: { account_type_id: accountTypeId },
    caller: ADMIN,
  });
}

describe('accounts.DeleteAccountType with permission-set assignments', () => {
  it('refuses (400) an account type that carries permission set roles, naming each assignment, and writes nothing', async () => {
    const { set, typeId, assignmentId } = await assignedAccountType();
    const before = await f.h.snapshot();
    const events = f.h.audit.events.length;

    const response = await deleteType(typeId);

    expect(response.status).toBe(400);
    const message = (response.body as { Error: string }).Error;
    expect(message).toContain('still carries 1 permission set role(s)');
    expect(message).toContain(
      `${JSON.stringify(set.Name)} (permission set ${set.Id}, assignment ${assignmentId})`,
    );
    expect(message).toContain('DeletePermissionSetAssignment');
    expect(await f.h.snapshot()).toEqual(before);
    expect(f.h.audit.events).toHaveLength(events);
  });

  it('deletes the account type once its assignment is deleted', async () => {
    const { set, typeId, assignmentId } = await assignedAccountType();
    const deleted = await invoke(f.handlers.deleteAssignment, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: { permission_set_id: set.Id, assignment_id: assignmentId },
    });
    expect(deleted.status).toBe(200);

    const response = await deleteType(typeId);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ AccountTypes: { Id: typeId, Status: 'DELETED' } });
  });
});
