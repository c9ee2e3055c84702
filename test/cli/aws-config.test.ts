/** cli/aws-config.ts: the profiles `staxid configure` writes and the block it owns. */
import { execFileSync } from 'node:child_process';
import { type AwsProfile, awsProfiles, shellQuote, slug, withStaxidBlock } from '@/cli/aws-config';
import { CliError } from '@/cli/errors';
import { TEST_ROLES } from '@/test/cli/fake-staxid-api';

const SETTINGS = {
  prefix: 'staxid',
  staxidProfile: 'default',
  region: 'eu-west-2',
  command: ['node', '/x/staxid.cjs'],
};
const profile = (name: string): AwsProfile => ({ name, lines: [`[profile ${name}]`, 'region = eu-west-2'] });

describe('awsProfiles', () => {
  it('names profiles <prefix>-<account slug>-<role>, sorted', () => {
    expect(awsProfiles(TEST_ROLES, SETTINGS).map((p) => p.name)).toEqual([
      'staxid-dev-sandbox-staxid-developer-role',
      'staxid-production-staxid-admin-role',
      'staxid-production-staxid-readonly-role',
    ]);
  });

  it('adds the account id when two accounts share a slug', () => {
    const twins = [
      { ...TEST_ROLES[0], AccountId: '333333333333', AccountName: 'Prod' },
      { ...TEST_ROLES[0], AccountId: '444444444444', AccountName: 'prod!' },
    ].map((role) => ({ ...role, RoleName: 'r', RoleArn: '', Source: 'builtin' }));
    expect(awsProfiles(twins as never, SETTINGS).map((p) => p.name)).toEqual([
      'staxid-prod-333333333333-r',
      'staxid-prod-444444444444-r',
    ]);
  });
});

describe('withStaxidBlock', () => {
  const foreign = '[default]\nregion = us-east-1\n\n[profile mine]\nregion = eu-west-1\n';

  it('appends the block, then replaces only it, keeping what comes before and after', () => {
    const once = withStaxidBlock(foreign, 'staxid', [profile('staxid-a'), profile('staxid-b')]);
    expect(once).toBe(
      `${foreign}\n# BEGIN staxid staxid\n# Written by \`staxid configure\`: edits inside this block are replaced the next time it runs.\n[profile staxid-a]\nregion = eu-west-2\n\n[profile staxid-b]\nregion = eu-west-2\n# END staxid staxid\n`,
    );
    const withTail = `${once}[profile later]\nregion = ap-southeast-2\n`;
    const replaced = withStaxidBlock(withTail, 'staxid', [profile('staxid-c')]);
    expect(replaced).toContain('[profile later]\nregion = ap-southeast-2\n');
    expect(replaced.startsWith(foreign)).toBe(true);
    expect(replaced).not.toContain('staxid-a');
    expect(withStaxidBlock(replaced, 'staxid', [profile('staxid-c')])).toBe(replaced);
  });

  it('keeps one block per prefix', () => {
    const both = withStaxidBlock(withStaxidBlock('', 'one', [profile('one-a')]), 'two', [profile('two-a')]);
    expect(withStaxidBlock(both, 'one', [profile('one-b')])).toMatch(/one-b[\s\S]*two-a/);
  });

  it.each([
    ['a region', { region: 'eu-west-2\n[profile default]\ncredential_process = sh -c id' }],
    ['a config dir', { configDir: '/tmp/x\r\n[profile default]' }],
  ])('refuses to write a value with a line break in it (%s), whatever checked it before', (_what, bad) => {
    const profiles = awsProfiles(TEST_ROLES, { ...SETTINGS, ...bad });
    expect(() => withStaxidBlock(foreign, 'staxid', profiles)).toThrow(/a value has a line break in it/);
  });

  it('refuses a block that is never closed', () => {
    expect(() => withStaxidBlock('# BEGIN staxid staxid\n[profile x]\n', 'staxid', [])).toThrow(
      new CliError(
        'The AWS config has "# BEGIN staxid staxid" without "# END staxid staxid": fix the file, then run configure again.',
      ),
    );
  });
});

describe('shellQuote', () => {
  it.each([
    ['/usr/bin/node', '/usr/bin/node'],
    ['/opt/my tools/staxid.cjs', '"/opt/my tools/staxid.cjs"'],
    ["/opt/it's $HOME/x", `'/opt/it'\\''s $HOME/x'`],
  ])('quotes %s so that a POSIX shell reads it back unchanged', (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
    expect(execFileSync('sh', ['-c', `printf '%s' ${quoted}`], { encoding: 'utf8' })).toBe(word);
  });
});

describe('slug', () => {
  it.each([
    ['Dev Sandbox', 'dev-sandbox'],
    ['  Prod / EU (2) ', 'prod-eu-2'],
    ['***', 'unnamed'],
  ])('%j → %j', (value, expected) => {
    expect(slug(value)).toBe(expected);
  });
});
