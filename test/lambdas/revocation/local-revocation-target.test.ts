import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRevocationTarget } from '@/lambdas/revocation/local-revocation-target';
import { applyRevocation } from '@/lambdas/revocation/revoke-sessions';

const ACCOUNT = '333333333333';
const USER = '0b6a4f1e-1111-4aaa-8aaa-aaaaaaaaaaaa';
const NOW = new Date('2026-11-30T12:00:00Z');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'staxid-revocations-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('LocalRevocationTarget', () => {
  test('records the policies a revoke would put on each built-in role, and a restore removes them', async () => {
    const target = new LocalRevocationTarget(dir);
    const revoke = {
      awsAccountId: ACCOUNT,
      userId: USER,
      action: 'revoke',
      at: '2026-11-30T11:00:00.000Z',
    } as const;

    await applyRevocation(target, revoke, NOW);

    const recorded = JSON.parse(readFileSync(join(dir, `${ACCOUNT}.json`), 'utf8'));
    expect(Object.keys(recorded).sort()).toEqual([
      'staxid-admin-role',
      'staxid-developer-role',
      'staxid-readonly-role',
    ]);
    expect(recorded['staxid-admin-role'].Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceIdentity': USER },
      DateLessThan: { 'aws:TokenIssueTime': '2026-11-30T11:07:00Z' },
    });
    expect(await applyRevocation(target, revoke, NOW)).toEqual({
      'staxid-admin-role': 'unchanged',
      'staxid-developer-role': 'unchanged',
      'staxid-readonly-role': 'unchanged',
    });

    await applyRevocation(target, { ...revoke, action: 'restore' }, NOW);

    expect(JSON.parse(readFileSync(join(dir, `${ACCOUNT}.json`), 'utf8'))).toEqual({});
  });

  test('also denies on the permission-set roles deployed in the account, and only in that account', async () => {
    const deployed: Record<string, string[]> = { [ACCOUNT]: ['DataReader'] };
    const target = new LocalRevocationTarget(dir, async (id) => deployed[id] ?? []);
    const revoke = { userId: USER, action: 'revoke', at: '2026-11-30T11:00:00.000Z' } as const;

    await applyRevocation(target, { ...revoke, awsAccountId: ACCOUNT }, NOW);
    await applyRevocation(target, { ...revoke, awsAccountId: '444444444444' }, NOW);

    const recorded = (account: string) =>
      Object.keys(JSON.parse(readFileSync(join(dir, `${account}.json`), 'utf8')));
    expect(recorded(ACCOUNT).sort()).toEqual([
      'DataReader',
      'staxid-admin-role',
      'staxid-developer-role',
      'staxid-readonly-role',
    ]);
    expect(recorded('444444444444')).not.toContain('DataReader');
  });

  test('refuses an account id that could escape the directory', async () => {
    await expect(new LocalRevocationTarget(dir).account('../../etc')).rejects.toThrow(
      'not an AWS account id: "../../etc"',
    );
  });
});
