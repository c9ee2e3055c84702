import { MAX_FILTER_DEPTH, parsePatchPath, parseScimFilter, ScimFilterError } from '@/lambdas/scim/filter';
import { and, compare, not, or, path, present, valuePath } from './builders';

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function filterError(text: string): ScimFilterError {
  try {
    parseScimFilter(text);
  } catch (error) {
    if (error instanceof ScimFilterError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

function pathError(text: string): ScimFilterError {
  try {
    parsePatchPath(text);
  } catch (error) {
    if (error instanceof ScimFilterError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('parseScimFilter', () => {
  describe('RFC 7644 §3.4.2.2 examples', () => {
    const employeeEmails = or(
      compare('emails', 'co', 'example.com'),
      compare('emails.value', 'co', 'example.org'),
    );
    const workEmail = valuePath(
      'emails',
      and(compare('type', 'eq', 'work'), compare('value', 'co', '@example.com')),
    );
    test.each([
      ['userName eq "bjensen"', compare('userName', 'eq', 'bjensen')],
      [`name.familyName co "O'Malley"`, compare('name.familyName', 'co', "O'Malley")],
      ['userName sw "J"', compare('userName', 'sw', 'J')],
      [
        `${CORE_USER}:userName sw "J"`,
        { kind: 'compare', path: path('userName', CORE_USER), op: 'sw', value: 'J' },
      ],
      ['title pr', present('title')],
      [
        'meta.lastModified gt "2011-05-13T04:42:34Z"',
        compare('meta.lastModified', 'gt', '2011-05-13T04:42:34Z'),
      ],
      [
        'meta.lastModified ge "2011-05-13T04:42:34Z"',
        compare('meta.lastModified', 'ge', '2011-05-13T04:42:34Z'),
      ],
      [
        'meta.lastModified lt "2011-05-13T04:42:34Z"',
        compare('meta.lastModified', 'lt', '2011-05-13T04:42:34Z'),
      ],
      [
        'meta.lastModified le "2011-05-13T04:42:34Z"',
        compare('meta.lastModified', 'le', '2011-05-13T04:42:34Z'),
      ],
      ['title pr and userType eq "Employee"', and(present('title'), compare('userType', 'eq', 'Employee'))],
      ['title pr or userType eq "Intern"', or(present('title'), compare('userType', 'eq', 'Intern'))],
      [`schemas eq "${ENTERPRISE_USER}"`, compare('schemas', 'eq', ENTERPRISE_USER)],
      [
        'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
        and(compare('userType', 'eq', 'Employee'), employeeEmails),
      ],
      [
        'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
        and(compare('userType', 'ne', 'Employee'), not(employeeEmails)),
      ],
      [
        'userType eq "Employee" and (emails.type eq "work")',
        and(compare('userType', 'eq', 'Employee'), compare('emails.type', 'eq', 'work')),
      ],
      [
        'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
        and(compare('userType', 'eq', 'Employee'), workEmail),
      ],
      [
        'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
        or(
          workEmail,
          valuePath('ims', and(compare('type', 'eq', 'xmpp'), compare('value', 'co', '@foo.com'))),
        ),
      ],
    ])('%s', (text, expected) => {
      expect(parseScimFilter(text)).toStrictEqual(expected);
    });
  });

  describe('filters Okta and Microsoft Entra ID send', () => {
    test.each([
      // Okta: user import and "match existing user" on push.
      ['userName eq "isaac.brock@example.com"', compare('userName', 'eq', 'isaac.brock@example.com')],
      // Okta: group push looks the group up by name.
      ['displayName eq "Engineering Admins"', compare('displayName', 'eq', 'Engineering Admins')],
      // Entra ID: user matching by userName, with its test-connection probe value.
      [
        'userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"',
        compare('userName', 'eq', 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1'),
      ],
      // Entra ID: matching by objectId mapped to externalId, and groups by displayName.
      [
        'externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"',
        compare('externalId', 'eq', '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef'),
      ],
      ['displayName eq "Group1DisplayName"', compare('displayName', 'eq', 'Group1DisplayName')],
      // Entra ID: matching by work email.
      [
        'emails[type eq "work"].value eq "bjensen@example.com"',
        valuePath(
          'emails',
          and(compare('type', 'eq', 'work'), compare('value', 'eq', 'bjensen@example.com')),
        ),
      ],
      // Entra ID: "is this user a member of that group" check.
      [
        'id eq "40734ae8-0a9e-4b6d-a1e0-c9c3e0d5b3f1" and members[value eq "f648f8d5-ea3b-4d13-8e9b-3d9e2d1c3b7a"]',
        and(
          compare('id', 'eq', '40734ae8-0a9e-4b6d-a1e0-c9c3e0d5b3f1'),
          valuePath('members', compare('value', 'eq', 'f648f8d5-ea3b-4d13-8e9b-3d9e2d1c3b7a')),
        ),
      ],
    ])('%s', (text, expected) => {
      expect(parseScimFilter(text)).toStrictEqual(expected);
    });
  });

  describe('grammar', () => {
    test('operators, logical words and literals are case-insensitive; the AST holds them in lower case', () => {
      expect(parseScimFilter('USERNAME EQ "a" And active Eq TRUE OR title PR')).toStrictEqual(
        or(and(compare('USERNAME', 'eq', 'a'), compare('active', 'eq', true)), present('title')),
      );
    });

    test('not binds tighter than and, and tighter than or', () => {
      expect(parseScimFilter('not (a pr) and b pr or c pr and d pr')).toStrictEqual(
        or(and(not(present('a')), present('b')), and(present('c'), present('d'))),
      );
    });

    test('and and or associate to the left; parentheses regroup', () => {
      expect(parseScimFilter('a pr and b pr and c pr')).toStrictEqual(
        and(and(present('a'), present('b')), present('c')),
      );
      expect(parseScimFilter('a pr and (b pr and c pr)')).toStrictEqual(
        and(present('a'), and(present('b'), present('c'))),
      );
    });

    test('string values use JSON escapes', () => {
      expect(parseScimFilter('displayName eq "say \\"hi\\" \\\\ caf\\u00e9 \\n"')).toStrictEqual(
        compare('displayName', 'eq', 'say "hi" \\ café \n'),
      );
    });

    test.each([
      ['42', 42],
      ['-7', -7],
      ['3.25', 3.25],
      ['1e3', 1000],
      ['-2.5E-2', -0.025],
      ['-0', -0],
    ])('number %s', (literal, value) => {
      expect(parseScimFilter(`age gt ${literal}`)).toStrictEqual(compare('age', 'gt', value));
    });

    test('true, false and null are values', () => {
      expect(parseScimFilter('active eq false or manager eq null or x ne true')).toStrictEqual(
        or(or(compare('active', 'eq', false), compare('manager', 'eq', null)), compare('x', 'ne', true)),
      );
    });

    test('extension attributes keep their schema URN, sub-attributes split on the dot', () => {
      expect(parseScimFilter(`${ENTERPRISE_USER}:manager.value eq "26118915"`)).toStrictEqual({
        kind: 'compare',
        path: path('manager.value', ENTERPRISE_USER),
        op: 'eq',
        value: '26118915',
      });
    });

    test('whitespace: any amount between tokens, none needed around parentheses and brackets', () => {
      expect(parseScimFilter('  (a pr)and\temails[type eq "work"]  ')).toStrictEqual(
        and(present('a'), valuePath('emails', compare('type', 'eq', 'work'))),
      );
    });

    test('words that are operators elsewhere can still be attribute names', () => {
      expect(parseScimFilter('and eq "x" and not eq "y" and pr pr')).toStrictEqual(
        and(and(compare('and', 'eq', 'x'), compare('not', 'eq', 'y')), present('pr')),
      );
    });

    test('a value filter can hold not and parentheses', () => {
      expect(parseScimFilter('emails[not (type eq "home") and (primary eq true)]')).toStrictEqual(
        valuePath('emails', and(not(compare('type', 'eq', 'home')), compare('primary', 'eq', true))),
      );
    });
  });

  describe('refusals', () => {
    test.each([
      ['', 'The filter is empty: send an expression such as userName eq "bjensen".'],
      ['   ', 'The filter is empty: send an expression such as userName eq "bjensen".'],
      [
        '(userName eq "a"',
        'Position 17: expected ")" to close the "(" at position 1, found the end of the input.',
      ],
      ['userName eq "a")', 'Position 16: unbalanced ")": it has no matching "(".'],
      [
        'emails[type eq "work"',
        'Position 22: expected "]" to close the "[" at position 7, found the end of the input.',
      ],
      ['emails[type eq "work"]]', 'Position 23: unbalanced "]": it has no matching "[".'],
      [
        'userName like "a"',
        'Position 10: expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after "userName", found "like".',
      ],
      [
        'userName eq',
        'Position 12: expected a value after "eq" (a quoted string, a number, true, false or null), found the end of the input.',
      ],
      [
        'userName eq "a" title pr',
        'Position 17: expected "and", "or" or the end of the input, found "title".',
      ],
      ['title pr "x"', 'Position 10: "pr" takes no value, found "\\"x\\"".'],
      [
        'userName eq displayName',
        'Position 13: expected a value after "eq", found the attribute name "displayName": filters compare attributes with literals only, so quote strings ("...").',
      ],
      [
        'active gt true',
        'Position 11: "gt" cannot compare with true: it orders strings, numbers and dateTimes only.',
      ],
      [
        'manager le null',
        'Position 12: "le" cannot compare with null: it orders strings, numbers and dateTimes only.',
      ],
      ['age co 4', 'Position 8: "co" needs a quoted string value, found "4".'],
      [
        'emails[type eq "work" and x[y pr]]',
        'Position 28: a value filter cannot contain another "[": nested brackets.',
      ],
      ['emails[]', 'Position 8: the value filter of "emails" is empty.'],
      [
        'not userName eq "a"',
        'Position 1: "not" must be followed by a parenthesised filter, as in not (title pr).',
      ],
      ['userName eq "abc', 'Position 13: unterminated string: close it with a double quote.'],
      [
        'userName eq "a\\qb"',
        'Position 13: invalid string: escape quotes and backslashes as \\" and \\\\, control characters as \\uXXXX.',
      ],
      ['age eq 12abc', 'Position 8: invalid number: write it as a JSON number.'],
      ['age eq 1e999', 'Position 8: number 1e999 is out of range.'],
      ['userName eq "a" & x pr', 'Position 17: unexpected character "&".'],
      ['foo:bar pr', 'Position 1: "foo" is not a schema URN (it must start with "urn:").'],
      [
        'a.b.c pr',
        'Position 1: "a.b.c" is not an attribute path: write attribute, attribute.subAttribute or schemaUrn:attribute.',
      ],
      [
        'and',
        'Position 4: expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after "and", found the end of the input.',
      ],
      ['() ', 'Position 2: expected an attribute path, "(" or "not (", found ")".'],
    ])('%j', (text, detail) => {
      const error = filterError(text);
      expect(error).toMatchObject({ scimType: 'invalidFilter', detail, message: detail });
    });

    test('input over 4,096 characters is refused before parsing', () => {
      const text = `userName eq "${'a'.repeat(4090)}"`;
      expect(filterError(text).detail).toBe(
        `The filter is ${text.length} characters long; at most 4096 are accepted.`,
      );
    });

    test(`nesting deeper than ${MAX_FILTER_DEPTH} levels is refused without a stack overflow`, () => {
      const parens = `${'('.repeat(51)}a pr${')'.repeat(51)}`;
      expect(filterError(parens).detail).toBe(
        'Position 51: nesting deeper than 50 levels of "(", "not (" and "[" is not accepted.',
      );
      expect(filterError(`${'not ('.repeat(800)}a pr`).detail).toMatch(
        /^Position 255: nesting deeper than 50/,
      );
      expect(parseScimFilter(`${'('.repeat(50)}a pr${')'.repeat(50)}`)).toStrictEqual(present('a'));
    });

    test('a long flat chain within the length cap parses (loops, not recursion)', () => {
      const text = Array.from({ length: 350 }, (_, i) => `a${i} pr`).join(' or ');
      expect(text.length).toBeLessThanOrEqual(4096);
      expect(parseScimFilter(text).kind).toBe('or');
    });
  });
});

describe('parsePatchPath', () => {
  test.each([
    ['members', { path: path('members') }],
    ['name.givenName', { path: path('name.givenName') }],
    [`${ENTERPRISE_USER}:employeeNumber`, { path: path('employeeNumber', ENTERPRISE_USER) }],
    [`${ENTERPRISE_USER}:manager.value`, { path: path('manager.value', ENTERPRISE_USER) }],
    // Okta and Entra ID remove a group member this way.
    [
      'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
      { path: path('members'), filter: compare('value', 'eq', '2819c223-7f76-453a-919d-413861904646') },
    ],
    // Entra ID updates a user's work email, address and phone this way.
    [
      'emails[type eq "work"].value',
      { path: path('emails'), filter: compare('type', 'eq', 'work'), subAttribute: 'value' },
    ],
    [
      'addresses[type eq "work"].streetAddress',
      { path: path('addresses'), filter: compare('type', 'eq', 'work'), subAttribute: 'streetAddress' },
    ],
    [
      'phoneNumbers[type eq "mobile"].value',
      { path: path('phoneNumbers'), filter: compare('type', 'eq', 'mobile'), subAttribute: 'value' },
    ],
    ['EMAILS[TYPE EQ "work"]', { path: path('EMAILS'), filter: compare('TYPE', 'eq', 'work') }],
  ])('%s', (text, expected) => {
    expect(parsePatchPath(text)).toStrictEqual(expected);
  });

  test.each([
    ['', 'invalidPath', 'Position 1: expected an attribute path, found the end of the input.'],
    ['members eq "x"', 'invalidPath', 'Position 9: expected "[" or the end of the path, found "eq".'],
    [
      'members[value eq "x"] x',
      'invalidPath',
      'Position 23: expected ".subAttribute" or the end of the path, found "x".',
    ],
    ['name.givenName)', 'invalidPath', 'Position 15: unbalanced ")": it has no matching "(".'],
    ['bad:path', 'invalidPath', 'Position 1: "bad" is not a schema URN (it must start with "urn:").'],
    [
      'emails[type eq "work"]. value',
      'invalidPath',
      'Position 23: expected a sub-attribute name directly after "]." (as in emails[type eq "work"].value).',
    ],
    [
      'emails[type eq "work"].value.x',
      'invalidPath',
      expect.stringMatching(/^Position 23: expected a sub-attribute/),
    ],
    [
      'members[value eq x]',
      'invalidFilter',
      'Position 18: expected a value after "eq", found the attribute name "x": filters compare attributes with literals only, so quote strings ("...").',
    ],
    [
      'members[value eq "x"',
      'invalidFilter',
      'Position 21: expected "]" to close the "[" at position 8, found the end of the input.',
    ],
  ])('%j is refused', (text, scimType, detail) => {
    expect(pathError(text)).toMatchObject({ scimType, detail });
  });

  test('a path over 4,096 characters is refused', () => {
    expect(pathError(`a${'b'.repeat(4096)}`)).toMatchObject({
      scimType: 'invalidPath',
      detail: 'The path is 4097 characters long; at most 4096 are accepted.',
    });
  });
});
