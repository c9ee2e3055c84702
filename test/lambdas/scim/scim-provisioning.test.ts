/**
 * Replays of the request sequences identity providers send, with the bodies as their
 * documentation shows them: Okta ("SCIM 2.0 protocol reference": create, PUT profile update,
 * PATCH `{"op":"replace","value":{"active":false}}`, Group Push with `members[value eq …]`
 * removal) and Microsoft Entra ID ("Tutorial: Develop a SCIM endpoint": capitalised ops,
 * `emails[type eq "work"].value`, `"active": "False"`, member add/remove with value lists).
 * The resulting state is checked through SCIM and through the Stax API functions.
 */
import { readGroup, updateGroupMembers } from '@/lambdas/groups/groups';
import type { UserDirectory } from '@/lambdas/shared/directory';
import { InvalidStateError } from '@/lambdas/shared/errors';
import { findUser, listUsers } from '@/lambdas/users/user-queries';
import { UserService } from '@/lambdas/users/user-service';
import { createScimHarness, ORGANISATION_ID, type ScimHarness } from '@/test/lambdas/scim/harness';
import { quietLogger } from '@/test/lambdas/tasks/harness';
import { ADMIN } from '@/test/support/api-event';

let h: ScimHarness;

beforeAll(async () => {
  h = await createScimHarness();
});
afterAll(() => h.drop());

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function staxUsers() {
  return new UserService({
    db: h.deps.db,
    clock: h.deps.clock,
    directory: h.directory as UserDirectory,
    audit: h.audit,
    organisationId: ORGANISATION_ID,
  });
}

function groupDeps() {
  return { ...h.deps, logger: quietLogger };
}

async function staxGroupMembers(groupId: string): Promise<string[]> {
  const { Groups } = await readGroup(groupDeps(), groupId);
  return [...(Groups[0]?.Users ?? [])].sort();
}

describe('Okta', () => {
  const userName = 'test.user@okta.local';
  let userId = '';

  it('provisions a user: GET filter userName eq → empty list → POST', async () => {
    const lookup = await h.scim(
      'GET',
      `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`,
    );
    expect(lookup.status).toBe(200);
    expect(lookup.body).toMatchObject({ totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
    expect(lookup.headers['Content-Type']).toMatch(/^application\/scim\+json/);

    const created = await h.scim('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA],
        userName,
        name: { givenName: 'Test', familyName: 'User' },
        emails: [{ primary: true, value: userName, type: 'work' }],
        displayName: 'Test User',
        locale: 'en-US',
        externalId: '00ujl29u0le5T6Aj10h7',
        groups: [],
        password: '1mz050nq',
        active: true,
      },
    });
    expect(created.status).toBe(201);
    userId = String(created.body.id);
    expect(created.headers.Location).toBe(`https://staxid.example.com/scim/v2/Users/${userId}`);
    expect(created.headers.ETag).toBe('W/"1"');
    expect(created.body).toMatchObject({
      userName,
      externalId: '00ujl29u0le5T6Aj10h7',
      active: true,
      name: { givenName: 'Test', familyName: 'User' },
      meta: { resourceType: 'User', version: 'W/"1"', location: created.headers.Location },
    });
    expect(JSON.stringify(await h.items())).not.toContain('1mz050nq');

    const user = await findUser(h.deps.db, userId);
    expect(user).toMatchObject({
      Email: userName,
      FirstName: 'Test',
      LastName: 'User',
      Status: 'ACTIVE',
      AuthOrigin: 'scim',
      Role: 'customer_readonly',
    });
    const again = await h.scim(
      'GET',
      `/Users?filter=${encodeURIComponent(`userName eq "${userName.toUpperCase()}"`)}`,
    );
    expect(again.body.totalResults).toBe(1);
    expect(h.audit.events.at(-1)).toMatchObject({
      staxEventType: 'scim.CreateUser',
      actor: { type: 'token', role: 'scim' },
    });
  });

  it('refuses a second user with the same userName (409 uniqueness)', async () => {
    const duplicate = await h.scim('POST', '/Users', {
      body: { schemas: [USER_SCHEMA], userName, active: true },
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ status: '409', scimType: 'uniqueness' });
  });

  it('updates the profile with PUT, honouring If-Match', async () => {
    const body = {
      schemas: [USER_SCHEMA],
      id: userId,
      userName,
      name: { givenName: 'Another', familyName: 'User' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: 'Another User',
      externalId: '00ujl29u0le5T6Aj10h7',
      active: true,
    };
    const stale = await h.scim('PUT', `/Users/${userId}`, { body, headers: { 'If-Match': 'W/"7"' } });
    expect(stale.status).toBe(412);
    const put = await h.scim('PUT', `/Users/${userId}`, { body, headers: { 'If-Match': 'W/"1"' } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name: { givenName: 'Another' }, displayName: 'Another User' });
    expect(put.headers.ETag).toBe('W/"2"');
    expect((await findUser(h.deps.db, userId))?.FirstName).toBe('Another');
  });

  it('deactivates with a no-path replace, and the user is DISABLED in Stax', async () => {
    const patched = await h.scim('PATCH', `/Users/${userId}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.active).toBe(false);
    expect((await findUser(h.deps.db, userId))?.Status).toBe('DISABLED');
    expect(h.directory.calls).toEqual([]);
  });

  it('leaves the user read-only through the Stax API except for its status', async () => {
    const reactivated = await staxUsers().updateUser(ADMIN, userId, { Status: 'ACTIVE' }, 'req-2');
    expect(reactivated.user.Status).toBe('ACTIVE');
    const refused = staxUsers().updateUser(ADMIN, userId, { FirstName: 'Hacked' }, 'req-1');
    await expect(refused).rejects.toThrow(InvalidStateError);
    await expect(refused).rejects.toThrow(/federated \(AuthOrigin scim\)/);
    expect((await findUser(h.deps.db, userId))?.FirstName).toBe('Another');
    const federated = await listUsers(h.deps.db, {
      origins: new Set(['Federated']),
      statuses: new Set(['ACTIVE']),
    });
    expect(federated.map((user) => user.Id)).toContain(userId);
    const seen = await h.scim('GET', `/Users/${userId}`);
    expect(seen.body.active).toBe(true);
  });

  it('pushes a group, renames it and changes its members', async () => {
    const second = await h.scim('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA],
        userName: 'second@okta.local',
        name: { givenName: 'Sec', familyName: 'Ond' },
        active: true,
      },
    });
    const secondId = String(second.body.id);
    const created = await h.scim('POST', '/Groups', {
      body: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Test SCIMv2',
        members: [],
      },
    });
    expect(created.status).toBe(201);
    const groupId = String(created.body.id);

    const renamed = await h.scim('PATCH', `/Groups/${groupId}`, {
      body: {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', value: { id: groupId, displayName: 'Test SCIMv2 renamed' } }],
      },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.displayName).toBe('Test SCIMv2 renamed');

    const added = await h.scim('PATCH', `/Groups/${groupId}`, {
      body: {
        schemas: [PATCH_OP],
        Operations: [
          {
            op: 'add',
            path: 'members',
            value: [
              { value: userId, display: userName },
              { value: secondId, display: 'second@okta.local' },
            ],
          },
        ],
      },
    });
    expect(added.status).toBe(200);
    expect(await staxGroupMembers(groupId)).toEqual([userId, secondId].sort());

    const removed = await h.scim('PATCH', `/Groups/${groupId}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${secondId}"]` }] },
    });
    expect(removed.status).toBe(200);
    expect(await staxGroupMembers(groupId)).toEqual([userId]);
    const { Groups } = await readGroup(groupDeps(), groupId);
    expect(Groups[0]).toMatchObject({ Name: 'Test SCIMv2 renamed', GroupType: 'SCIM' });

    await expect(
      updateGroupMembers(
        groupDeps(),
        { caller: ADMIN, requestId: 'req-3' },
        { AddMembers: [{ UserId: secondId, GroupId: groupId }] },
      ),
    ).rejects.toThrow(/managed by your identity provider through SCIM/);

    const deleted = await h.scim('DELETE', `/Groups/${groupId}`);
    expect(deleted.status).toBe(204);
    expect((await h.scim('GET', `/Groups/${groupId}`)).status).toBe(404);
  });

  it('deprovisions the user with DELETE: DELETED in Stax, gone from SCIM, email free again', async () => {
    expect((await h.scim('DELETE', `/Users/${userId}`)).status).toBe(204);
    expect((await findUser(h.deps.db, userId))?.Status).toBe('DELETED');
    expect((await h.scim('GET', `/Users/${userId}`)).status).toBe(404);
    const recreated = await h.scim('POST', '/Users', {
      body: { schemas: [USER_SCHEMA], userName, active: true },
    });
    expect(recreated.status).toBe(201);
  });
});

describe('Microsoft Entra ID', () => {
  const userName = 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com';
  const externalId = 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1';
  let userId = '';

  it('provisions a user with the enterprise extension, found by externalId', async () => {
    const lookup = await h.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    expect(lookup.body.totalResults).toBe(0);
    const created = await h.scim('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA, ENTERPRISE],
        externalId,
        userName,
        active: true,
        emails: [
          {
            primary: true,
            type: 'work',
            value: 'Test_User_11bb6b5b-71ff-4d3b-8e2a-cc25fcb52e74@testuser.com',
          },
        ],
        meta: { resourceType: 'User' },
        name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
        roles: [],
        [ENTERPRISE]: { department: 'Engineering', employeeNumber: '42', manager: { value: 'mgr-1' } },
      },
    });
    expect(created.status).toBe(201);
    userId = String(created.body.id);
    const byExternalId = await h.scim(
      'GET',
      `/Users?filter=${encodeURIComponent(`externalId eq "${externalId}"`)}`,
    );
    expect(byExternalId.body.Resources?.map((resource) => resource.id)).toEqual([userId]);
    expect(byExternalId.body.Resources?.[0]?.[ENTERPRISE]).toEqual({
      department: 'Engineering',
      employeeNumber: '42',
      manager: { value: 'mgr-1' },
    });
  });

  it('updates with capitalised ops, value-filtered paths and extension paths', async () => {
    const patched = await h.scim('PATCH', `/Users/${userId}`, {
      body: {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
          { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
          { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Research' },
          { op: 'Add', path: `${ENTERPRISE}:manager`, value: 'mgr-2' },
        ],
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      emails: [{ primary: true, type: 'work', value: 'updatedEmail@microsoft.com' }],
      name: { familyName: 'updatedFamilyName', givenName: 'givenName' },
      [ENTERPRISE]: { department: 'Research', manager: { value: 'mgr-2' } },
    });
    expect((await findUser(h.deps.db, userId))?.LastName).toBe('updatedFamilyName');
  });

  it('disables with "active": "False" and re-enables with "True"', async () => {
    const disabled = await h.scim('PATCH', `/Users/${userId}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
    });
    expect(disabled.status).toBe(200);
    expect((await findUser(h.deps.db, userId))?.Status).toBe('DISABLED');
    const listed = await h.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    expect(listed.body.Resources?.[0]?.active).toBe(false);

    const enabled = await h.scim('PATCH', `/Users/${userId}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] },
    });
    expect(enabled.body.active).toBe(true);
    expect((await findUser(h.deps.db, userId))?.Status).toBe('ACTIVE');
  });

  it('creates a group, adds members without duplicates and removes them by value list', async () => {
    const created = await h.scim('POST', '/Groups', {
      body: {
        schemas: [
          'urn:ietf:params:scim:schemas:core:2.0:Group',
          'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group',
        ],
        externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
        displayName: 'Entra Group',
        meta: { resourceType: 'Group' },
      },
    });
    expect(created.status).toBe(201);
    const groupId = String(created.body.id);
    const byName = await h.scim(
      'GET',
      `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Entra Group"')}`,
    );
    expect(byName.body.Resources).toHaveLength(1);
    expect(byName.body.Resources?.[0]).not.toHaveProperty('members');

    const addMember = {
      schemas: [PATCH_OP],
      Operations: [{ name: 'addMember', op: 'Add', path: 'members', value: [{ $ref: null, value: userId }] }],
    };
    expect((await h.scim('PATCH', `/Groups/${groupId}`, { body: addMember })).status).toBe(200);
    expect((await h.scim('PATCH', `/Groups/${groupId}`, { body: addMember })).status).toBe(200);
    expect(await staxGroupMembers(groupId)).toEqual([userId]);

    const removeMember = {
      schemas: [PATCH_OP],
      Operations: [
        { name: 'removeMember', op: 'Remove', path: 'members', value: [{ $ref: null, value: userId }] },
      ],
    };
    const removed = await h.scim('PATCH', `/Groups/${groupId}`, { body: removeMember });
    expect(removed.status).toBe(200);
    expect(removed.body.members).toEqual([]);
    expect(await staxGroupMembers(groupId)).toEqual([]);
  });

  it('deletes the user (hard delete after soft delete)', async () => {
    expect((await h.scim('DELETE', `/Users/${userId}`)).status).toBe(204);
    const byExternalId = await h.scim(
      'GET',
      `/Users?filter=${encodeURIComponent(`externalId eq "${externalId}"`)}`,
    );
    expect(byExternalId.body.totalResults).toBe(0);
    expect((await findUser(h.deps.db, userId))?.Status).toBe('DELETED');
  });
});
