/**
 * The whole path an AWS tool takes: `staxid login` and `staxid configure` run through the npm
 * bin's launcher (`node cli/bin/staxid.cjs`), then the AWS SDK's own providers read the AWS
 * config `configure` wrote and run its credential_process command themselves.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromIni, fromProcess } from '@aws-sdk/credential-providers';
import { type FakeApi, startFakeApiOver } from '@/test/cli/fake-staxid-api';
import { LAUNCHER } from '@/test/cli/run-cli';
import { startTestCognito, type TestCognito } from '@/test/support/cognito-local';

const PASSWORD = 'Correct-Horse-Battery-9';
const PROFILE = 'staxid-production-staxid-admin-role';

let cognito: TestCognito;
let api: FakeApi;
let root: string;
let configFile: string;
const saved = { ...process.env };

/** Runs the launcher as a child process, as npx and the AWS SDK do. */
function staxid(
  args: readonly string[],
  stdin = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [LAUNCHER, ...args],
      { env: process.env },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin);
  });
}

beforeAll(async () => {
  cognito = await startTestCognito();
  api = await startFakeApiOver(cognito);
  root = mkdtempSync(join(tmpdir(), 'staxid-cli-sdk-'));
  configFile = join(root, 'aws', 'config');
  const credentialsFile = join(root, 'aws', 'credentials');
  process.env.STAXID_CONFIG_DIR = join(root, 'staxid');
  process.env.STAXID_HOME = root;
  writeFileSync(join(root, 'local.json'), JSON.stringify({ api: api.url, cognito: cognito.endpoint }));
  process.env.AWS_CONFIG_FILE = configFile;
  process.env.AWS_SHARED_CREDENTIALS_FILE = credentialsFile;
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.AWS_SECRET_ACCESS_KEY;

  await cognito.createUser('sdk-user', PASSWORD);
  const login = await staxid(
    ['login', '--api', api.url, '--username', 'sdk-user', '--password-stdin'],
    PASSWORD,
  );
  expect(login).toMatchObject({ code: 0, stdout: '' });
  const configured = await staxid(['configure']);
  expect(configured).toMatchObject({ code: 0, stdout: '' });
  writeFileSync(credentialsFile, '[default]\n', { mode: 0o600 });
});
afterAll(async () => {
  process.env = saved;
  await api.stop();
  await cognito.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('credentials through the AWS SDK', () => {
  it('configure wrote credential_process with the absolute launcher command', () => {
    expect(readFileSync(configFile, 'utf8')).toContain(
      `[profile ${PROFILE}]\ncredential_process = ${process.execPath} ${LAUNCHER} credentials --account 111111111111 --role staxid-admin-role --profile default --config-dir ${join(root, 'staxid')}\nregion = eu-west-2\n`,
    );
  });

  it('fromProcess runs it and gets the sign-in route’s credentials', async () => {
    const credentials = await fromProcess({ profile: PROFILE, ignoreCache: true })();
    expect(credentials).toMatchObject({
      accessKeyId: expect.stringMatching(/^ASIALOCAL/),
      secretAccessKey: expect.stringMatching(/^secret-111111111111-staxid-admin-role-/),
      sessionToken: expect.stringMatching(/^session-/),
    });
    expect(credentials.expiration?.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
  });

  it('fromIni resolves the same profile, served from the cache without another sign-in', async () => {
    const signIns = () => api.calls.get('POST /20190206/aws/sign-in') ?? 0;
    const viaProcess = await fromProcess({ profile: PROFILE, ignoreCache: true })();
    const signInsSoFar = signIns();
    const viaIni = await fromIni({ profile: PROFILE, ignoreCache: true })();
    expect(viaIni.accessKeyId).toBe(viaProcess.accessKeyId);
    expect(viaIni.secretAccessKey).toBe(viaProcess.secretAccessKey);
    expect(signIns()).toBe(signInsSoFar);
  });

  it('fails the provider when the role is not held, with nothing on stdout', async () => {
    const result = await staxid(['credentials', '--account', '222222222222', '--role', 'staxid-admin-role']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('refused (403)');

    writeFileSync(
      configFile,
      `${readFileSync(configFile, 'utf8')}[profile not-held]\ncredential_process = ${process.execPath} ${LAUNCHER} credentials --account 222222222222 --role staxid-admin-role --config-dir ${join(root, 'staxid')}\n`,
    );
    await expect(fromProcess({ profile: 'not-held', ignoreCache: true })()).rejects.toThrow();
  });
});
