import { indexedLookup, parseScimFilter } from '@/lambdas/scim/filter';
import { and, compare, or, present, valuePath } from './builders';

function lookup(filter: string) {
  return indexedLookup(parseScimFilter(filter));
}

describe('indexedLookup', () => {
  test.each([
    ['userName eq "bjensen@example.com"', { attribute: 'userName', value: 'bjensen@example.com' }],
    ['USERNAME eq "bjensen@example.com"', { attribute: 'userName', value: 'bjensen@example.com' }],
    ['id eq "2819c223"', { attribute: 'id', value: '2819c223' }],
    ['externalid EQ "00u1abcd"', { attribute: 'externalId', value: '00u1abcd' }],
    ['displayName eq "Engineers"', { attribute: 'displayName', value: 'Engineers' }],
    [
      'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen"',
      { attribute: 'userName', value: 'bjensen' },
    ],
  ])('top-level eq: %s', (filter, expected) => {
    expect(lookup(filter)).toStrictEqual(expected);
  });

  test('AND-ed with more: the rest is returned to apply in memory', () => {
    expect(lookup('userName eq "bjensen" and active eq true')).toStrictEqual({
      attribute: 'userName',
      value: 'bjensen',
      rest: compare('active', 'eq', true),
    });
  });

  test('the indexed conjunct may sit anywhere in the AND chain; the rest keeps the others in order', () => {
    expect(lookup('title pr and (externalId eq "x" and active eq true) and nickName pr')).toStrictEqual({
      attribute: 'externalId',
      value: 'x',
      rest: and(and(present('title'), compare('active', 'eq', true)), present('nickName')),
    });
  });

  test('Entra ID membership check: id eq … and members[value eq …]', () => {
    expect(lookup('id eq "g1" and members[value eq "u1"]')).toStrictEqual({
      attribute: 'id',
      value: 'g1',
      rest: valuePath('members', compare('value', 'eq', 'u1')),
    });
  });

  test('several indexed conjuncts: id wins over externalId, userName and displayName', () => {
    expect(lookup('displayName eq "d" and userName eq "u" and id eq "i"')).toStrictEqual({
      attribute: 'id',
      value: 'i',
      rest: and(compare('displayName', 'eq', 'd'), compare('userName', 'eq', 'u')),
    });
  });

  test.each([
    'userName eq "a" or userName eq "b"',
    'userName eq "a" or title pr',
    'userName ne "a"',
    'userName sw "a"',
    'not (userName eq "a")',
    'title eq "Tour Guide"',
    'name.familyName eq "Jensen"',
    'id.value eq "x"',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7"',
    'urn:example:custom:userName eq "a"',
    'userName eq null',
    'externalId eq 42',
    'emails[value eq "a"]',
  ])('needs a scan: %s', (filter) => {
    expect(lookup(filter)).toBeUndefined();
  });

  test('an OR nested inside the AND chain stays in rest', () => {
    expect(lookup('userName eq "a" and (title pr or nickName pr)')).toStrictEqual({
      attribute: 'userName',
      value: 'a',
      rest: or(present('title'), present('nickName')),
    });
  });
});
