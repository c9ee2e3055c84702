import { resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { readCurrentUser } from './api';
import { DEFAULT_CALLBACK_PORT } from './browser-login';
import { configure } from './configure';
import { type CliContext, processContext } from './context';
import { awsCredentials } from './credentials';
import { CliError, EXIT, UsageError } from './errors';
import { login, logout } from './login';
import { currentSession } from './session';
import {
  CONFIG_DIR_ENV,
  checkProfileName,
  configDir,
  DEFAULT_PROFILE,
  loadSession,
  type Session,
} from './store';

/**
 * The `staxid` command line: sign in to a staxid installation, and hand AWS tools
 * temporary credentials for the accounts and roles the signed-in identity holds.
 * `run` is the whole CLI for one argument list; `main` runs it on this process.
 */

type Options = NonNullable<ParseArgsConfig['options']>;

const PROFILE_OPTION: Options = {
  profile: { type: 'string' },
  'config-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

interface Command {
  readonly usage: string;
  readonly options: Options;
  readonly run: (context: CliContext, values: Values) => Promise<void>;
}

type Values = Record<string, string | boolean | undefined>;

const COMMANDS: Record<string, Command> = {
  login: {
    usage: `staxid login --api <URL> [--profile <name>] <how>
Signs in to the staxid API at <URL> and caches the session in ~/.staxid/credentials.json (0600;
$STAXID_CONFIG_DIR moves the directory). <how> is one of:
  --username <name> [--password-stdin] [--cognito-endpoint <URL>]
      a person: the password is asked without echo, or read from the first line of stdin
      (a temporary password's replacement from the second line)
  --browser [--idp <name>] [--hosted-ui <URL>] [--callback-port <port>] [--no-open]
      a person, through Cognito's hosted UI in the browser (e.g. a corporate IdP): the URL is
      printed and opened; the browser comes back to http://localhost:<port>/callback (default
      port ${DEFAULT_CALLBACK_PORT}, registered on the app client). --hosted-ui (or
      $STAXID_HOSTED_UI_URL, else the API's public config) is the hosted UI's base URL;
      --idp <name> goes straight to that identity provider of the user pool
  --access-key <AccessKey> --secret-key-stdin
      an API token (or $STAXID_ACCESS_KEY and $STAXID_SECRET_KEY); the key pair is kept to
      renew the token. API tokens are not people: AWS sign-in refuses them.
--profile keeps several installations apart (default: "default").`,
    options: {
      ...PROFILE_OPTION,
      api: { type: 'string' },
      username: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      'cognito-endpoint': { type: 'string' },
      'access-key': { type: 'string' },
      'secret-key-stdin': { type: 'boolean' },
      browser: { type: 'boolean' },
      'hosted-ui': { type: 'string' },
      idp: { type: 'string' },
      'callback-port': { type: 'string' },
      'no-open': { type: 'boolean' },
    },
    run: (context, values) =>
      login(context, {
        api: required(values, 'api'),
        profile: profileOf(values),
        accessKey: optional(values, 'access-key'),
        secretKeyStdin: values['secret-key-stdin'] === true,
        username: optional(values, 'username'),
        passwordStdin: values['password-stdin'] === true,
        cognitoEndpoint: optional(values, 'cognito-endpoint'),
        ...(values.browser === true && {
          browser: {
            hostedUi: optional(values, 'hosted-ui'),
            identityProvider: optional(values, 'idp'),
            callbackPort: optional(values, 'callback-port'),
            open: values['no-open'] !== true,
          },
        }),
      }),
  },
  credentials: {
    usage: `staxid credentials --account <12-digit id | account name> --role <role name> [--profile <name>]
Prints AWS credentials for the role in the credential_process format
({"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}). They are
cached (0600) until 5 minutes before they expire.`,
    options: { ...PROFILE_OPTION, account: { type: 'string' }, role: { type: 'string' } },
    run: async (context, values) => {
      const credentials = await awsCredentials(context, {
        profile: profileOf(values),
        account: required(values, 'account'),
        role: required(values, 'role'),
      });
      context.out(JSON.stringify(credentials));
    },
  },
  configure: {
    usage: `staxid configure [--prefix staxid] [--aws-config <path>] [--region <region>] [--profile <name>]
Writes one AWS profile "[profile <prefix>-<account>-<role>]" per account and role you hold into
the AWS config ($AWS_CONFIG_FILE or ~/.aws/config), each with a credential_process that runs
\`staxid credentials\`. Only the block between "# BEGIN staxid <prefix>" and "# END staxid <prefix>"
is rewritten; everything else in the file is kept.`,
    options: {
      ...PROFILE_OPTION,
      prefix: { type: 'string', default: 'staxid' },
      'aws-config': { type: 'string' },
      region: { type: 'string' },
    },
    run: (context, values) =>
      configure(context, {
        profile: profileOf(values),
        prefix: required(values, 'prefix'),
        awsConfig: optional(values, 'aws-config'),
        region: optional(values, 'region'),
      }),
  },
  whoami: {
    usage: `staxid whoami [--profile <name>]
Prints the signed-in identity as the API reports it (GET /20190206/users/me).`,
    options: PROFILE_OPTION,
    run: async (context, values) => {
      const session = await currentSession(context, profileOf(values));
      context.out(JSON.stringify(await readCurrentUser(session.api, session.accessToken), null, 2));
    },
  },
  logout: {
    usage: `staxid logout [--profile <name>]
Forgets the profile's session and cached AWS credentials (and revokes a person's Cognito refresh token).`,
    options: PROFILE_OPTION,
    run: (context, values) => {
      const profile = profileOf(values);
      return logout(context, profile, sessionIfAny(context, profile));
    },
  },
};

const USAGE = `Usage: staxid <command> [options]

Commands:
  login        sign in to a staxid installation
  whoami       show who you are signed in as
  credentials  AWS credentials for an account and role (credential_process)
  configure    write AWS CLI profiles for every account and role you hold
  logout       forget a session

Every command takes --profile <name> (one per staxid installation, default "default") and
--config-dir <path> (where sessions are kept: $STAXID_CONFIG_DIR, else ~/.staxid).
Run \`staxid <command> --help\` for a command's options.`;

/** Runs one command line; resolves to the exit code. Errors go to stderr, never to stdout. */
export async function run(argv: readonly string[], context: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    context.out(USAGE);
    return EXIT.ok;
  }
  if (name === undefined) {
    context.err(USAGE);
    return EXIT.usage;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`Unknown command ${JSON.stringify(name)}.\n\n${USAGE}`);
    const values = parse(command, rest);
    if (values.help === true) {
      context.out(command.usage);
      return EXIT.ok;
    }
    await command.run(withConfigDir(context, optional(values, 'config-dir')), values);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CliError) {
      context.err(`staxid: ${error.message}`);
      if (error instanceof UsageError && command) context.err(`\n${command.usage}`);
      return error.exitCode;
    }
    context.err(`staxid: unexpected error: ${(error as Error).stack ?? String(error)}`);
    return EXIT.failed;
  }
}

/** Runs the CLI on this process's arguments and sets its exit code. */
export async function main(): Promise<void> {
  process.exitCode = await run(process.argv.slice(2), processContext());
}

function parse(command: Command, args: readonly string[]): Values {
  try {
    return parseArgs({ args: [...args], options: command.options, strict: true, allowPositionals: false })
      .values as Values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function required(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required.`);
  return value;
}

function optional(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function profileOf(values: Values): string {
  return checkProfileName(optional(values, 'profile') ?? DEFAULT_PROFILE);
}

/** `--config-dir` stands for `$STAXID_CONFIG_DIR`, so that a credential_process command can carry it. */
function withConfigDir(context: CliContext, dir: string | undefined): CliContext {
  return dir === undefined
    ? context
    : { ...context, env: { ...context.env, [CONFIG_DIR_ENV]: resolve(dir) } };
}

function sessionIfAny(context: CliContext, profile: string): Session | undefined {
  try {
    return loadSession(configDir(context.env), profile);
  } catch {
    return undefined;
  }
}

if (require.main === module) void main();
