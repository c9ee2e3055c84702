import { matchesScimFilter, parseScimFilter } from '@/lambdas/scim/filter';

const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const babs = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_USER],
  id: '2819c223-7f76-453a-919d-413861904646',
  externalId: 'Bjensen-Ext',
  userName: 'bjensen@example.com',
  name: { familyName: "O'Malley", givenName: 'Barbara' },
  displayName: 'Babs Jensen',
  title: 'Tour Guide',
  userType: 'Employee',
  active: true,
  loginCount: 42,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  ims: [{ value: 'babs@foo.com', type: 'xmpp' }],
  nickName: '',
  phoneNumbers: [],
  [ENTERPRISE_USER]: { employeeNumber: '701984', manager: { value: '26118915', displayName: 'John Smith' } },
  meta: {
    resourceType: 'User',
    created: '2010-01-23T04:56:22Z',
    lastModified: '2011-05-13T04:42:34Z',
    version: 'W/"3694e05e9dff591"',
  },
};

const engineers = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
  id: 'e9e30dba-f08f-4109-8486-d5c6a331660a',
  displayName: 'Engineers',
  members: [
    { value: '2819c223-7f76-453a-919d-413861904646', display: 'Babs Jensen' },
    { value: '902c246b-6245-4190-8e05-00816be7344a', display: 'Mandy Pepperidge' },
  ],
};

function matches(filter: string, resource: Readonly<Record<string, unknown>> = babs): boolean {
  return matchesScimFilter(parseScimFilter(filter), resource);
}

describe('matchesScimFilter', () => {
  test.each([
    ['userName eq "bjensen@example.com"', true],
    ['USERNAME EQ "BJensen@Example.com"', true],
    ['userName eq "bjensen"', false],
    ['userName ne "bjensen"', true],
    ['userName ne "BJENSEN@example.com"', false],
    [`name.familyName co "o'mal"`, true],
    ['userName sw "BJ"', true],
    ['userName ew "@EXAMPLE.COM"', true],
    ['userName ew "@example.org"', false],
    ['title pr', true],
    ['nickName pr', false],
    ['phoneNumbers pr', false],
    ['nonexistent pr', false],
    ['nonexistent ne "x"', true],
    ['nonexistent eq null', true],
    ['title eq null', false],
    ['title ne null', true],
    ['active eq true', true],
    ['active eq false', false],
    ['loginCount gt 41', true],
    ['loginCount ge 42', true],
    ['loginCount lt 42', false],
    ['loginCount eq 42', true],
    ['loginCount eq "42"', false],
    ['title gt "Tour Guide"', false],
    ['title ge "tour guide"', true],
    ['title lt "Zebra"', true],
    ['title pr and userType eq "Employee"', true],
    ['title pr and userType eq "Intern"', false],
    ['nickName pr or userType eq "Employee"', true],
    ['not (userType eq "Employee")', false],
    ['userType eq "Employee" and not (emails co "example.org" or emails.value co "example.net")', true],
    ['userType eq "Employee" and (emails.type eq "work")', true],
    ['emails co "jensen.org"', true],
    ['emails.value co "jensen.org"', true],
    ['emails.type eq "other"', false],
    ['emails[type eq "work" and value co "@example.com"]', true],
    ['emails[type eq "home" and value co "@example.com"]', false],
    [
      'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
      true,
    ],
    ['emails[type eq "work"].value eq "bjensen@example.com"', true],
    ['emails[type eq "home"].value eq "bjensen@example.com"', false],
    ['emails[primary eq true]', true],
    ['emails[not (primary pr)]', true],
    [`${ENTERPRISE_USER}:employeeNumber eq "701984"`, true],
    [`urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:MANAGER.value eq "26118915"`, true],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bjensen"', true],
    [`schemas eq "${ENTERPRISE_USER}"`, true],
    [`${ENTERPRISE_USER}:userName eq "bjensen@example.com"`, false],
    ['urn:example:unknown:2.0:User:userName pr', false],
  ])('%s → %s on a User', (filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });

  describe('dateTimes compare by instant', () => {
    test.each([
      ['meta.lastModified gt "2011-05-13T04:42:33Z"', true],
      ['meta.lastModified gt "2011-05-13T04:42:34Z"', false],
      ['meta.lastModified ge "2011-05-13T04:42:34Z"', true],
      ['meta.lastModified lt "2011-05-13T06:42:34+01:00"', true],
      ['meta.lastModified eq "2011-05-13T06:42:34.000+02:00"', true],
      ['meta.lastModified le "2011-05-13T04:42:33.999Z"', false],
    ])('%s → %s', (filter, expected) => {
      expect(matches(filter)).toBe(expected);
    });
  });

  describe('case-exactness', () => {
    test.each([
      ['id eq "2819C223-7F76-453A-919D-413861904646"', false],
      ['id eq "2819c223-7f76-453a-919d-413861904646"', true],
      ['externalId eq "bjensen-ext"', false],
      ['EXTERNALID eq "Bjensen-Ext"', true],
      ['meta.version eq "w/\\"3694e05e9dff591\\""', false],
      ['meta.version eq "W/\\"3694e05e9dff591\\""', true],
    ])('by default (RFC 7643): %s → %s', (filter, expected) => {
      expect(matches(filter)).toBe(expected);
    });

    test('the caseExact option replaces the default, and sees value-filter paths as attribute.subAttribute', () => {
      const seen: string[] = [];
      const caseExact = (path: { attribute: string; subAttribute?: string }) => {
        seen.push([path.attribute, path.subAttribute].filter(Boolean).join('.'));
        return path.attribute === 'userName' || path.subAttribute === 'value';
      };
      expect(
        matchesScimFilter(parseScimFilter('userName eq "BJENSEN@example.com"'), babs, { caseExact }),
      ).toBe(false);
      expect(
        matchesScimFilter(parseScimFilter('id eq "2819C223-7F76-453A-919D-413861904646"'), babs, {
          caseExact,
        }),
      ).toBe(true);
      expect(
        matchesScimFilter(
          parseScimFilter('emails[type eq "WORK" and value eq "BJENSEN@example.com"]'),
          babs,
          {
            caseExact,
          },
        ),
      ).toBe(false);
      expect([...new Set(seen)]).toEqual(['userName', 'id', 'emails.type', 'emails.value']);
    });
  });

  describe('Groups', () => {
    test.each([
      ['displayName eq "engineers"', true],
      ['members[value eq "902c246b-6245-4190-8e05-00816be7344a"]', true],
      ['members[value eq "00000000-0000-0000-0000-000000000000"]', false],
      ['members.display sw "mandy"', true],
      [
        'id eq "e9e30dba-f08f-4109-8486-d5c6a331660a" and members[value eq "2819c223-7f76-453a-919d-413861904646"]',
        true,
      ],
      ['members pr', true],
    ])('%s → %s', (filter, expected) => {
      expect(matches(filter, engineers)).toBe(expected);
    });

    test('a group without members does not match members pr', () => {
      expect(matches('members pr', { displayName: 'Empty', members: [] })).toBe(false);
    });
  });

  test('odd resource shapes never throw', () => {
    const odd = { emails: 'not-an-array', members: [null, 3, 'x', { value: null }], name: null };
    expect(matches('emails[type eq "work"]', odd)).toBe(false);
    expect(matches('members[value pr]', odd)).toBe(false);
    expect(matches('name.familyName eq "x"', odd)).toBe(false);
    expect(matches('emails eq "not-an-array"', odd)).toBe(true);
  });
});
