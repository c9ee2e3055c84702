import { createHash } from 'node:crypto';
import { AssumeRoleWithSAMLCommand, ExpiredTokenException } from '@aws-sdk/client-sts';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import type { APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { AWS_SAML_SIGNIN_URL } from '@/lambdas/shared/constants';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import { samlMetadataHandler } from '@/lambdas/signin/saml-metadata';
import { signInHandler } from '@/lambdas/signin/sign-in';
import type { SignInDeps, SignInEntitlement } from '@/lambdas/signin/sign-in-service';
import {
  ACTIVE_USER,
  createSignInWorld,
  DISABLED_USER,
  ENTITY_ID,
  postSignIn,
  SIGN_IN_URL,
  type SignInWorld,
  TOKEN_CALLER,
} from '@/test/lambdas/signin/harness';
import { putAccount, quietLogger } from '@/test/lambdas/tasks/harness';
import { apiEvent, lambdaContext } from '@/test/support/api-event';

let w: SignInWorld;
let overrides: Partial<SignInDeps> = {};
const signIn = signInHandler(() => ({ ...w.deps, ...overrides }), quietLogger);

beforeAll(async () => {
  w = await createSignInWorld();
});
afterAll(() => w.cleanUp());
afterEach(() => {
  w.stsMock.reset();
  w.h.audit.events.length = 0;
  w.h.audit.failWith = undefined;
  overrides = {};
});

const ATTRIBUTE = 'https://aws.amazon.com/SAML/Attributes/';
const EXPIRATION = new Date('2030-01-01T01:00:00.000Z');
const STS_CREDENTIALS = {
  AccessKeyId: 'ASIAEXAMPLEEXAMPLE01',
  SecretAccessKey: 'secret-access-key',
  SessionToken: 'session-token',
  Expiration: EXPIRATION,
};

/** The IdP certificate as the metadata route publishes it. */
async function metadataCertificate(): Promise<string> {
  const metadata = samlMetadataHandler(() => ({
    entityId: ENTITY_ID,
    certificates: w.signer,
    signInUrl: SIGN_IN_URL,
  }));
  const result = await metadata(apiEvent({ path: '/saml/metadata.xml' }), lambdaContext);
  expect(result.statusCode).toBe(200);
  const certificate = result.body.match(/<(?:\w+:)?X509Certificate>([^<]+)</)?.[1];
  if (!certificate) throw new Error(`no certificate in the metadata: ${result.body}`);
  return certificate.replace(/\s+/g, '');
}

/** Validates a SAMLResponse as AWS would: node-saml as the SP, the metadata's certificate. */
async function validateAsAws(samlResponse: string) {
  const sp = new SAML({
    idpCert: await metadataCertificate(),
    idpIssuer: ENTITY_ID,
    issuer: 'urn:amazon:webservices',
    audience: 'urn:amazon:webservices',
    callbackUrl: AWS_SAML_SIGNIN_URL,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.never,
  });
  const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: samlResponse });
  if (!profile) throw new Error('the SP accepted no profile');
  return profile as Record<string, unknown>;
}

function formValue(html: string, name: string): string | undefined {
  return html.match(new RegExp(`name="${name}" value="([^"]*)"`))?.[1];
}

function jsonBody(result: APIGatewayProxyResult): Record<string, unknown> {
  return JSON.parse(result.body) as Record<string, unknown>;
}

const console_ = (AccountId: string, RoleName = 'staxid-admin-role') => ({
  AccountId,
  RoleName,
  Mode: 'console',
});
const credentials = (AccountId: string, RoleName = 'staxid-admin-role') => ({
  AccountId,
  RoleName,
  Mode: 'credentials',
});

describe('aws.SignIn, console', () => {
  it('returns a locked-down page that posts a SAMLResponse AWS accepts for the held role', async () => {
    const result = await postSignIn(signIn, ACTIVE_USER, console_(w.held.awsAccountId));
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['Content-Type']).toBe('text/html; charset=utf-8');
    expect(result.headers?.['Cache-Control']).toBe('no-store');
    expect(result.headers?.['Referrer-Policy']).toBe('no-referrer');
    expect(result.headers?.['X-Content-Type-Options']).toBe('nosniff');

    const html = result.body;
    expect(html).toContain(`<form method="post" action="${AWS_SAML_SIGNIN_URL}">`);
    expect(formValue(html, 'RelayState')).toBe('');
    expect(html).toMatch(/<noscript>[\s\S]*<button type="submit">/);
    expect(html).not.toMatch(/\ssrc=/i);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1] ?? '');
    expect(scripts).toHaveLength(1);
    const hash = createHash('sha256')
      .update(scripts[0] ?? '')
      .digest('base64');
    expect(result.headers?.['Content-Security-Policy']).toBe(
      `default-src 'none'; script-src 'sha256-${hash}'; form-action https://signin.aws.amazon.com; base-uri 'none'; frame-ancestors 'none'`,
    );

    const samlResponse = formValue(html, 'SAMLResponse') ?? '';
    const profile = await validateAsAws(samlResponse);
    // node-saml checks signature, audience and time window; issuer and recipient are checked here.
    expect(profile.issuer).toBe(ENTITY_ID);
    const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
    expect(xml).toContain(`Destination="${AWS_SAML_SIGNIN_URL}"`);
    expect(xml).toContain(`Recipient="${AWS_SAML_SIGNIN_URL}"`);
    expect(profile[`${ATTRIBUTE}Role`]).toBe(
      `arn:aws:iam::${w.held.awsAccountId}:role/staxid-admin-role,arn:aws:iam::${w.held.awsAccountId}:saml-provider/staxid`,
    );
    expect(profile[`${ATTRIBUTE}RoleSessionName`]).toBe(w.activeEmail);
    expect(profile[`${ATTRIBUTE}SourceIdentity`]).toBe(ACTIVE_USER.id);
    expect(profile[`${ATTRIBUTE}SessionDuration`]).toBe('3600');
    expect(profile[`${ATTRIBUTE}PrincipalTag:staxid-user-id`]).toBe(ACTIVE_USER.id);
    expect(profile[`${ATTRIBUTE}PrincipalTag:staxid-role`]).toBe('customer_user');
    expect(w.stsMock.calls()).toHaveLength(0);

    expect(w.h.audit.events).toHaveLength(1);
    const [event] = w.h.audit.events;
    expect(event).toMatchObject({
      staxEventType: 'aws.SignIn',
      outcome: 'SUCCESS',
      actor: { type: 'user', id: ACTIVE_USER.id, role: 'customer_user' },
      target: [
        { type: 'account', id: w.held.awsAccountId, name: 'dev' },
        { type: 'role', id: 'staxid-admin-role' },
      ],
      detail: {
        accountId: w.held.awsAccountId,
        roleName: 'staxid-admin-role',
        mode: 'console',
        source: 'builtin',
        sessionDurationSeconds: 3600,
      },
    });
    expect(JSON.stringify(event)).not.toContain(samlResponse);
  });
});

describe('aws.SignIn, credentials', () => {
  it('trades a valid assertion with STS and returns the credential_process JSON', async () => {
    w.stsMock.on(AssumeRoleWithSAMLCommand).resolves({ Credentials: STS_CREDENTIALS });
    const result = await postSignIn(signIn, ACTIVE_USER, credentials(w.held.awsAccountId));
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['Cache-Control']).toBe('no-store');
    expect(jsonBody(result)).toEqual({
      Version: 1,
      AccessKeyId: STS_CREDENTIALS.AccessKeyId,
      SecretAccessKey: STS_CREDENTIALS.SecretAccessKey,
      SessionToken: STS_CREDENTIALS.SessionToken,
      Expiration: '2030-01-01T01:00:00.000Z',
    });

    const calls = w.stsMock.commandCalls(AssumeRoleWithSAMLCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input).toMatchObject({
      RoleArn: `arn:aws:iam::${w.held.awsAccountId}:role/staxid-admin-role`,
      PrincipalArn: `arn:aws:iam::${w.held.awsAccountId}:saml-provider/staxid`,
      DurationSeconds: 3600,
    });
    const profile = await validateAsAws(input?.SAMLAssertion ?? '');
    expect(profile[`${ATTRIBUTE}SourceIdentity`]).toBe(ACTIVE_USER.id);

    expect(w.h.audit.events).toHaveLength(1);
    expect(w.h.audit.events[0]).toMatchObject({
      outcome: 'SUCCESS',
      detail: { mode: 'credentials', source: 'builtin' },
    });
    expect(JSON.stringify(w.h.audit.events[0])).not.toContain(STS_CREDENTIALS.SecretAccessKey);
  });

  it('signs permission-set roles under the staxid path with their own session length and support tags', async () => {
    const entitlements: SignInEntitlement[] = [
      {
        accountId: w.held.id,
        awsAccountId: w.held.awsAccountId,
        accountName: 'dev',
        roleName: 'DataScientist',
        source: 'permission-set',
        sessionDurationSeconds: 7200,
      },
      {
        accountId: w.held.id,
        awsAccountId: w.held.awsAccountId,
        accountName: 'dev',
        roleName: 'staxid-readonly-role',
        source: 'support',
        supportGrantId: 'grant-1',
        caseReference: 'CASE-42',
      },
    ];
    overrides = { entitlements: async () => entitlements };
    w.stsMock.on(AssumeRoleWithSAMLCommand).resolves({ Credentials: STS_CREDENTIALS });

    expect(
      (await postSignIn(signIn, ACTIVE_USER, credentials(w.held.awsAccountId, 'DataScientist'))).statusCode,
    ).toBe(200);
    expect(
      (await postSignIn(signIn, ACTIVE_USER, credentials(w.held.awsAccountId, 'staxid-readonly-role')))
        .statusCode,
    ).toBe(200);

    const [permissionSet, support] = w.stsMock
      .commandCalls(AssumeRoleWithSAMLCommand)
      .map((call) => call.args[0].input);
    expect(permissionSet).toMatchObject({
      RoleArn: `arn:aws:iam::${w.held.awsAccountId}:role/staxid/DataScientist`,
      DurationSeconds: 7200,
    });
    const supportProfile = await validateAsAws(support?.SAMLAssertion ?? '');
    expect(supportProfile[`${ATTRIBUTE}PrincipalTag:staxid-support-case`]).toBe('CASE-42');
    expect(w.h.audit.events.map((event) => event.detail)).toMatchObject([
      { source: 'permission-set', sessionDurationSeconds: 7200 },
      { source: 'support', supportGrantId: 'grant-1', caseReference: 'CASE-42' },
    ]);
  });

  it('answers 403 and audits a FAILURE when STS refuses the assertion', async () => {
    w.stsMock
      .on(AssumeRoleWithSAMLCommand)
      .rejects(new ExpiredTokenException({ message: 'Token expired', $metadata: {} }));
    const result = await postSignIn(signIn, ACTIVE_USER, credentials(w.held.awsAccountId));
    expect(result.statusCode).toBe(403);
    expect(jsonBody(result).Error).toMatch(/^AWS refused the sign-in \(ExpiredTokenException\)/);
    expect(w.h.audit.events).toHaveLength(1);
    expect(w.h.audit.events[0]).toMatchObject({
      outcome: 'FAILURE',
      detail: { reason: 'sts_refused', stsError: 'ExpiredTokenException' },
    });
  });

  it.each([
    ['throttled', Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $fault: 'client' })],
    ['unreachable', Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error' })],
  ])('answers 502, never 500, and audits a FAILURE when STS is %s', async (_case, error) => {
    w.stsMock.on(AssumeRoleWithSAMLCommand).rejects(error);
    const result = await postSignIn(signIn, ACTIVE_USER, credentials(w.held.awsAccountId));
    expect(result.statusCode).toBe(502);
    expect(jsonBody(result).Error).toMatch(/try again/);
    expect(w.h.audit.events).toHaveLength(1);
    expect(w.h.audit.events[0]).toMatchObject({ outcome: 'FAILURE', detail: { reason: 'sts_unavailable' } });
  });
});

describe('aws.SignIn refusals', () => {
  const unknownAccount = '999999999999';
  it.each([
    [
      'a role the user does not hold',
      () => ACTIVE_USER,
      () => w.held.awsAccountId,
      'staxid-developer-role',
      'role_not_held',
    ],
    [
      "an account outside the user's account types",
      () => ACTIVE_USER,
      () => w.outside.awsAccountId,
      'staxid-admin-role',
      'role_not_held',
    ],
    ['an unknown account', () => ACTIVE_USER, () => unknownAccount, 'staxid-admin-role', 'role_not_held'],
    [
      'a DISABLED user',
      () => DISABLED_USER,
      () => w.held.awsAccountId,
      'staxid-admin-role',
      'user_not_active',
    ],
    ['an API token', () => TOKEN_CALLER, () => w.held.awsAccountId, 'staxid-admin-role', 'token_caller'],
  ])(
    'refuses %s: 403, audited as FAILURE, no assertion, no STS call',
    async (_case, caller, account, role, reason) => {
      w.stsMock.on(AssumeRoleWithSAMLCommand).resolves({ Credentials: STS_CREDENTIALS });
      const sign = jest.spyOn(w.signer, 'sign');
      for (const body of [console_(account(), role), credentials(account(), role)]) {
        const result = await postSignIn(signIn, caller(), body);
        expect(result.statusCode).toBe(403);
        expect(result.headers?.['Content-Type']).toBe('application/json');
        expect(result.body).not.toContain('SAMLResponse');
        expect(result.body).not.toContain(STS_CREDENTIALS.AccessKeyId);
      }
      expect(sign).not.toHaveBeenCalled();
      sign.mockRestore();
      expect(w.stsMock.calls()).toHaveLength(0);
      expect(w.h.audit.events).toHaveLength(2);
      for (const event of w.h.audit.events) {
        expect(event).toMatchObject({
          staxEventType: 'aws.SignIn',
          outcome: 'FAILURE',
          actor: { id: caller().id },
          target: [
            { type: 'account', id: account() },
            { type: 'role', id: role },
          ],
          detail: { accountId: account(), roleName: role, reason },
        });
      }
    },
  );

  it('gives an unknown account the same answer as an account the user holds nothing in', async () => {
    const unknown = await postSignIn(signIn, ACTIVE_USER, console_(unknownAccount));
    const outside = await postSignIn(signIn, ACTIVE_USER, console_(w.outside.awsAccountId));
    expect(unknown.body).toBe(outside.body);
  });
});

describe('aws.SignIn to staxid’s own accounts (review M3)', () => {
  it('refuses the security account though the user’s account type lists it (a summary without AccountRole)', async () => {
    const { Item: held } = await w.h.table.doc.send(
      new GetCommand({ TableName: w.h.table.tableName, Key: entityKey(ENTITY.account, w.held.id) }),
    );
    const typeId = String(held?.AccountType);
    const security = await putAccount(w.h);
    await w.h.table.doc.send(
      new UpdateCommand({
        TableName: w.h.table.tableName,
        Key: entityKey(ENTITY.account, security.id),
        UpdateExpression: 'SET AccountRole = :role, AccountType = :type',
        ExpressionAttributeValues: { ':role': 'SECURITY', ':type': typeId },
      }),
    );
    await w.h.table.doc.send(
      new UpdateCommand({
        TableName: w.h.table.tableName,
        Key: entityKey(ENTITY.accountType, typeId),
        UpdateExpression:
          'SET Accounts = list_append(Accounts, :id), AwsAccounts = list_append(AwsAccounts, :ref)',
        ExpressionAttributeValues: {
          ':id': [security.id],
          ':ref': [
            {
              AccountId: security.id,
              AwsAccountId: security.awsAccountId,
              Name: 'security',
              Status: 'ACTIVE',
            },
          ],
        },
      }),
    );
    w.stsMock.on(AssumeRoleWithSAMLCommand).resolves({ Credentials: STS_CREDENTIALS });
    const refused = await postSignIn(signIn, ACTIVE_USER, credentials(security.awsAccountId));
    expect(refused.statusCode).toBe(403);
    expect(w.h.audit.events[0]).toMatchObject({ outcome: 'FAILURE', detail: { reason: 'role_not_held' } });
    expect(w.stsMock.calls()).toHaveLength(0);
    const stillHeld = await postSignIn(signIn, ACTIVE_USER, credentials(w.held.awsAccountId));
    expect(stillHeld.statusCode).toBe(200);
  });
});

describe('aws.SignIn with an assertion AWS would refuse', () => {
  it('answers 400 naming the setting, audits a FAILURE and calls no STS', async () => {
    overrides = {
      entitlements: async () => [
        {
          accountId: w.held.id,
          awsAccountId: w.held.awsAccountId,
          accountName: 'dev',
          roleName: 'ShortSession',
          source: 'permission-set',
          sessionDurationSeconds: 60,
        },
      ],
    };
    const result = await postSignIn(signIn, ACTIVE_USER, credentials(w.held.awsAccountId, 'ShortSession'));
    expect(result.statusCode).toBe(400);
    expect(jsonBody(result).Error).toMatch(/^sessionDurationSeconds: /);
    expect(w.stsMock.calls()).toHaveLength(0);
    expect(w.h.audit.events).toHaveLength(1);
    expect(w.h.audit.events[0]).toMatchObject({ outcome: 'FAILURE', detail: { reason: 'assertion_failed' } });
  });
});

describe('aws.SignIn when the audit write fails', () => {
  it.each([
    ['console', console_],
    ['credentials', credentials],
  ])('%s: 503 and nothing of the sign-in in the body', async (_mode, body) => {
    w.stsMock.on(AssumeRoleWithSAMLCommand).resolves({ Credentials: STS_CREDENTIALS });
    w.h.audit.failWith = new Error('bucket unreachable');
    const result = await postSignIn(signIn, ACTIVE_USER, body(w.held.awsAccountId));
    expect(result.statusCode).toBe(503);
    expect(result.body).not.toContain('SAMLResponse');
    expect(result.body).not.toContain(STS_CREDENTIALS.AccessKeyId);
    expect(result.body).not.toContain(STS_CREDENTIALS.SessionToken);
    expect(w.h.audit.events).toHaveLength(0);
  });

  it('a refusal whose audit fails is a 503 too', async () => {
    w.h.audit.failWith = new Error('bucket unreachable');
    const result = await postSignIn(signIn, ACTIVE_USER, console_(w.outside.awsAccountId));
    expect(result.statusCode).toBe(503);
  });
});

describe('aws.SignIn bodies', () => {
  it.each([
    [undefined, 'Body'],
    [[], 'Body'],
    ['"console"', 'Body'],
    [{ ...console_('123456789012'), Extra: 1 }, 'Body.Extra'],
    [{ RoleName: 'staxid-admin-role', Mode: 'console' }, 'Body.AccountId'],
    [console_('12345678901'), 'Body.AccountId'],
    [{ ...console_('x'), AccountId: 123456789012 }, 'Body.AccountId'],
    [console_('123456789012', ''), 'Body.RoleName'],
    [console_('123456789012', 'a'.repeat(65)), 'Body.RoleName'],
    [console_('123456789012', 'role/with/slashes'), 'Body.RoleName'],
    [{ ...console_('123456789012'), Mode: 'CLI' }, 'Body.Mode'],
    [{ AccountId: '123456789012', RoleName: 'r' }, 'Body.Mode'],
  ])('refuses %j with a 400 naming %s, before anything is audited', async (body, field) => {
    const result = await postSignIn(signIn, ACTIVE_USER, body);
    expect(result.statusCode).toBe(400);
    expect(String(jsonBody(result).Error)).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
    expect(w.h.audit.events).toHaveLength(0);
  });

  it('never answers 500, nor 200 to an invalid body (property)', async () => {
    const FIELDS = ['AccountId', 'RoleName', 'Mode'];
    const isValid = (body: unknown): boolean => {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
      const record = body as Record<string, unknown>;
      return (
        Object.keys(record).every((key) => FIELDS.includes(key)) &&
        typeof record.AccountId === 'string' &&
        /^\d{12}$/.test(record.AccountId) &&
        typeof record.RoleName === 'string' &&
        /^[A-Za-z0-9_+=,.@-]{1,64}$/.test(record.RoleName) &&
        (record.Mode === 'console' || record.Mode === 'credentials')
      );
    };
    const nearlyValid = fc.record(
      {
        AccountId: fc.oneof(
          fc.stringMatching(/^\d{12}$/),
          fc.string(),
          fc.integer(),
          fc.constant(w.held.awsAccountId),
        ),
        RoleName: fc.oneof(
          fc.stringMatching(/^[\w+=,.@-]{1,70}$/),
          fc.string(),
          fc.constant('staxid-admin-role'),
        ),
        Mode: fc.oneof(fc.constantFrom('console', 'credentials', 'Console', ''), fc.anything()),
        Other: fc.anything(),
      },
      { requiredKeys: [] },
    );
    w.stsMock.on(AssumeRoleWithSAMLCommand).resolves({ Credentials: STS_CREDENTIALS });
    await fc.assert(
      fc.asyncProperty(fc.oneof(nearlyValid, fc.jsonValue()), async (body) => {
        const sent = JSON.stringify(body);
        const result = await postSignIn(signIn, ACTIVE_USER, sent);
        expect(result.statusCode).not.toBe(500);
        if (!isValid(JSON.parse(sent))) expect(result.statusCode).toBe(400);
        else expect([200, 403]).toContain(result.statusCode);
      }),
      { numRuns: 150 },
    );
  });
});

describe('saml.ReadMetadata', () => {
  it('publishes the entity id and the signing certificate, cacheable for 5 minutes', async () => {
    const metadata = samlMetadataHandler(() => ({
      entityId: ENTITY_ID,
      certificates: w.signer,
      signInUrl: SIGN_IN_URL,
    }));
    const result = await metadata(apiEvent({ path: '/saml/metadata.xml' }), lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['Content-Type']).toBe('application/samlmetadata+xml');
    expect(result.headers?.['Cache-Control']).toBe('public, max-age=300');
    expect(result.body).toContain(`entityID="${ENTITY_ID}"`);
    expect(result.body).toContain(`Location="${SIGN_IN_URL}"`);
    expect(await metadataCertificate()).toBe((await w.signer.certificates())[0]);
  });
});
