import { isUuid, nameBasedId, newId, organisationIdFor } from '@/lambdas/shared/ids';

describe('ids', () => {
  it('makes random v4 uuids', () => {
    const id = newId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newId()).not.toBe(id);
  });

  it('computes RFC 9562 v5 ids (the RFC example: DNS namespace, www.example.com)', () => {
    expect(nameBasedId('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('derives a stable OrganisationId per AWS organization', () => {
    expect(organisationIdFor('o-a1b2c3d4e5')).toBe(organisationIdFor('o-a1b2c3d4e5'));
    expect(organisationIdFor('o-a1b2c3d4e5')).not.toBe(organisationIdFor('o-zzzzzzzzzz'));
    expect(isUuid(organisationIdFor('o-a1b2c3d4e5'))).toBe(true);
  });

  it('recognizes uuids only', () => {
    expect(isUuid('2ED6657D-E927-568B-95E1-2665A8AEA6A2')).toBe(true);
    expect(isUuid('2ed6657d-e927-568b-95e1-2665a8aea6a')).toBe(false);
    expect(isUuid('../../etc/passwd')).toBe(false);
  });
});
