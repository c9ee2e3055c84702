import type { AwsRole } from './api';
import { CliError } from './errors';

/**
 * The part of `~/.aws/config` that `staxid configure` owns: one block between
 * `# BEGIN staxid <prefix>` and `# END staxid <prefix>` (one per prefix, so that several
 * installations can coexist), rewritten whole; every line outside it is kept as it was.
 */

export interface ProfileSettings {
  /** Profile names start with it: `<prefix>-<account-name-slug>-<role>`. */
  readonly prefix: string;
  /** The staxid profile (installation) the credential_process command signs in with. */
  readonly staxidProfile: string;
  readonly region: string;
  /** The absolute command that runs the CLI, e.g. `[node, /path/to/staxid.cjs]`. */
  readonly command: readonly string[];
  /**
   * A config dir other than the default (`$STAXID_CONFIG_DIR` when configure ran): written
   * into the command as `--config-dir`, since the AWS tools will not have the variable.
   */
  readonly configDir?: string;
}

export interface AwsProfile {
  readonly name: string;
  readonly lines: readonly string[];
}

/** One profile per (account, role), sorted by name; names that would collide get the account id. */
export function awsProfiles(roles: readonly AwsRole[], settings: ProfileSettings): AwsProfile[] {
  const named = roles.map((role) => ({
    role,
    name: `${settings.prefix}-${slug(role.AccountName)}-${slug(role.RoleName)}`,
  }));
  const counts = new Map<string, number>();
  for (const { name } of named) counts.set(name, (counts.get(name) ?? 0) + 1);
  return named
    .map(({ role, name }) => {
      const unique =
        (counts.get(name) ?? 0) > 1
          ? `${settings.prefix}-${slug(role.AccountName)}-${role.AccountId}-${slug(role.RoleName)}`
          : name;
      const command = [
        ...settings.command,
        'credentials',
        '--account',
        role.AccountId,
        '--role',
        role.RoleName,
        '--profile',
        settings.staxidProfile,
        ...(settings.configDir ? ['--config-dir', settings.configDir] : []),
      ];
      return {
        name: unique,
        lines: [
          `[profile ${unique}]`,
          `credential_process = ${command.map(shellQuote).join(' ')}`,
          `region = ${settings.region}`,
        ],
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The config file's text with the prefix's block replaced by these profiles (appended when absent). */
export function withStaxidBlock(text: string, prefix: string, profiles: readonly AwsProfile[]): string {
  const begin = `# BEGIN staxid ${prefix}`;
  const end = `# END staxid ${prefix}`;
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const start = lines.findIndex((line) => line.trim() === begin);
  const stop = lines.findIndex((line, index) => index > start && line.trim() === end);
  if (start >= 0 && stop < 0) {
    throw new CliError(
      `The AWS config has "${begin}" without "${end}": fix the file, then run configure again.`,
    );
  }
  refuseLineBreaks(profiles);
  const before = start >= 0 ? lines.slice(0, start) : lines;
  const after = start >= 0 ? lines.slice(stop + 1) : [];
  refuseForeignDuplicates([...before, ...after], profiles);
  const block = [
    begin,
    '# Written by `staxid configure`: edits inside this block are replaced the next time it runs.',
    ...profiles.flatMap((profile, index) => (index === 0 ? profile.lines : ['', ...profile.lines])),
    end,
  ];
  const separator = start < 0 && before.length > 0 && before[before.length - 1]?.trim() !== '' ? [''] : [];
  return `${[...before, ...separator, ...block, ...after].join('\n')}\n`;
}

/**
 * Defence in depth: a line break in a value (region, path, role) would let it write lines
 * of its own, such as a `[profile default]` with a `credential_process` of its choosing.
 */
function refuseLineBreaks(profiles: readonly AwsProfile[]): void {
  for (const line of profiles.flatMap((profile) => profile.lines)) {
    if (/[\r\n]/.test(line)) {
      throw new CliError(
        `Refusing to write ${JSON.stringify(line)} to the AWS config: a value has a line break in it.`,
      );
    }
  }
}

/** A profile defined outside the block with a name the block would use: the user's, not ours to shadow. */
function refuseForeignDuplicates(foreign: readonly string[], profiles: readonly AwsProfile[]): void {
  const ours = new Set(profiles.map((profile) => profile.name));
  for (const line of foreign) {
    const match = /^\s*\[\s*profile\s+([^\]]+?)\s*\]\s*$/.exec(line);
    if (match?.[1] && ours.has(match[1])) {
      throw new CliError(
        `The AWS config already has a profile ${match[1]} outside the staxid block: rename it or use another --prefix.`,
      );
    }
  }
}

/** Lower case letters, digits and single dashes. */
export function slug(value: string): string {
  return (
    value
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'unnamed'
  );
}

/**
 * Quotes one word of the credential_process command so that both a POSIX shell (the AWS
 * SDK for JavaScript runs it through one) and botocore's shlex split read it back: bare
 * when safe, in double quotes when it has spaces, in single quotes when it has characters
 * a shell would expand inside double quotes.
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  if (!/["$`\\!]/.test(word)) return `"${word}"`;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
