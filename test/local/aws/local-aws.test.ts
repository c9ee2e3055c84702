import { AssumeRoleWithSAMLCommand, STSClient } from '@aws-sdk/client-sts';
import { SimulatedOrganization } from '@/lambdas/shared/organization';
import { type LocalAws, startLocalAws } from '@/local/aws';
import { DEFAULT_LOCAL_ORGANIZATION } from '@/local/organization';
import {
  ADMIN_ROLE,
  type AssertionInput,
  assertionXml,
  base64,
  MEMBER_ACCOUNT,
  makeTestKey,
  metadataXml,
  OTHER_ACCOUNT,
  PROVIDER,
  responseXml,
  signElement,
  signedResponseXml,
  type TestKey,
} from '@/test/local/aws/saml-fixtures';

const NOW = new Date('2026-11-30T12:00:00.000Z');

let idpKey: TestKey;
let attackerKey: TestKey;
let aws: LocalAws;
let sts: STSClient;

beforeAll(async () => {
  idpKey = makeTestKey('staxid test idp');
  attackerKey = makeTestKey('attacker');
  const metadata = metadataXml([idpKey]);
  aws = await startLocalAws({
    metadata: async () => metadata,
    organization: new SimulatedOrganization(DEFAULT_LOCAL_ORGANIZATION),
    now: () => NOW,
    builtinSessionSeconds: 7200,
  });
  sts = new STSClient({ endpoint: aws.stsEndpoint, region: 'us-east-1', maxAttempts: 1 });
});

afterAll(async () => {
  sts.destroy();
  await aws.close();
});

function input(overrides: Partial<AssertionInput> = {}): AssertionInput {
  return { now: NOW, recipient: aws.signInUrl, ...overrides };
}

function assume(
  xml: string,
  overrides: { RoleArn?: string; PrincipalArn?: string; DurationSeconds?: number } = {},
) {
  return sts.send(
    new AssumeRoleWithSAMLCommand({
      RoleArn: ADMIN_ROLE,
      PrincipalArn: PROVIDER,
      SAMLAssertion: base64(xml),
      ...overrides,
    }),
  );
}

async function stsError(
  promise: Promise<unknown>,
): Promise<{ name: string; status?: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const { name, message, $metadata } = error as {
      name: string;
      message: string;
      $metadata?: { httpStatusCode?: number };
    };
    return { name, message, status: $metadata?.httpStatusCode };
  }
  throw new Error('STS accepted the request');
}

describe('startLocalAws', () => {
  it('tells the handlers where the sign-in endpoint and STS are', () => {
    expect(aws.signInUrl).toBe(`${aws.url}/saml`);
    expect(aws.environment).toEqual({ STAXID_AWS_SIGNIN_URL: aws.signInUrl, STAXID_STS_ENDPOINT: aws.url });
  });
});

describe('local STS AssumeRoleWithSAML through @aws-sdk/client-sts', () => {
  it('hands back clearly local credentials for a valid assertion', async () => {
    const result = await assume(signedResponseXml(input(), idpKey), { DurationSeconds: 1800 });
    const credentials = result.Credentials;
    expect(credentials?.AccessKeyId).toMatch(/^ASIALOCAL[A-Z2-7]{11}$/);
    expect(credentials?.SessionToken).toMatch(/^staxid-local-/);
    expect(credentials?.SecretAccessKey).toHaveLength(40);
    expect(credentials?.Expiration?.toISOString()).toBe(new Date(NOW.getTime() + 1800 * 1000).toISOString());
    expect(result.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${MEMBER_ACCOUNT}:assumed-role/staxid-admin-role/alice@example.com`,
    );
    expect(result).toMatchObject({
      Audience: aws.signInUrl,
      Issuer: 'https://staxid.test/saml',
      Subject: 'user-0001',
      SubjectType: 'persistent',
      SourceIdentity: 'user-0001',
    });
  });

  it('defaults to one hour', async () => {
    const result = await assume(signedResponseXml(input(), idpKey));
    expect(result.Credentials?.Expiration?.getTime()).toBe(NOW.getTime() + 3600 * 1000);
  });

  it('ends the credentials at the SessionNotOnOrAfter of the assertion', async () => {
    const sessionNotOnOrAfter = new Date(NOW.getTime() + 20 * 60 * 1000);
    const result = await assume(signedResponseXml(input({ sessionNotOnOrAfter }), idpKey));
    expect(result.Credentials?.Expiration?.toISOString()).toBe(sessionNotOnOrAfter.toISOString());
  });

  it('refuses a session Policy that is not a policy document', async () => {
    const command = new AssumeRoleWithSAMLCommand({
      RoleArn: ADMIN_ROLE,
      PrincipalArn: PROVIDER,
      SAMLAssertion: base64(signedResponseXml(input(), idpKey)),
      Policy: '{not json',
    });
    expect(await stsError(sts.send(command))).toMatchObject({
      name: 'MalformedPolicyDocumentException',
      status: 400,
    });
  });

  it.each<[string, () => string, Record<string, unknown>, string, number]>([
    [
      'a signature by another key',
      () => signedResponseXml(input(), attackerKey),
      {},
      'InvalidIdentityTokenException',
      400,
    ],
    [
      'a tampered attribute',
      () =>
        signedResponseXml(input(), idpKey).replace(
          'user-0001</saml:AttributeValue>',
          'root</saml:AttributeValue>',
        ),
      {},
      'InvalidIdentityTokenException',
      400,
    ],
    [
      'an expired assertion',
      () => signedResponseXml(input({ now: new Date(NOW.getTime() - 3600 * 1000) }), idpKey),
      {},
      'ExpiredTokenException',
      400,
    ],
    [
      'a wrong audience',
      () => signedResponseXml(input({ audience: 'urn:other' }), idpKey),
      {},
      'InvalidIdentityTokenException',
      400,
    ],
    [
      'a wrong recipient',
      () => signedResponseXml(input({ recipient: 'https://signin.aws.amazon.com/saml' }), idpKey),
      {},
      'InvalidIdentityTokenException',
      400,
    ],
    [
      'a role and provider in different accounts',
      () => {
        const otherProvider = `arn:aws:iam::${OTHER_ACCOUNT}:saml-provider/staxid`;
        return signedResponseXml(input({ roles: [`${ADMIN_ROLE},${otherProvider}`] }), idpKey);
      },
      { PrincipalArn: `arn:aws:iam::${OTHER_ACCOUNT}:saml-provider/staxid` },
      'AccessDenied',
      403,
    ],
    [
      'an unknown role',
      () =>
        signedResponseXml(
          input({ roles: [`arn:aws:iam::${MEMBER_ACCOUNT}:role/ghost,${PROVIDER}`] }),
          idpKey,
        ),
      { RoleArn: `arn:aws:iam::${MEMBER_ACCOUNT}:role/ghost` },
      'AccessDenied',
      403,
    ],
    [
      'a PrincipalArn the assertion does not name',
      () => signedResponseXml(input(), idpKey),
      { PrincipalArn: `arn:aws:iam::${MEMBER_ACCOUNT}:saml-provider/other` },
      'InvalidIdentityTokenException',
      400,
    ],
    [
      'two assertions (XSW)',
      () => {
        const signed = signElement(assertionXml(input()), '_assertion1', idpKey);
        return responseXml(
          `${assertionXml(input({ id: '_forged', sessionName: 'mallory' }))}${signed}`,
          input(),
        );
      },
      {},
      'InvalidIdentityTokenException',
      400,
    ],
    [
      'the signed assertion wrapped in a forged one (XSW)',
      () => {
        const signed = signElement(assertionXml(input()), '_assertion1', idpKey);
        const forged = assertionXml(input({ id: '_forged' })).replace(
          '<saml:Subject>',
          `<saml:Advice>${signed}</saml:Advice><saml:Subject>`,
        );
        return responseXml(forged, input());
      },
      {},
      'InvalidIdentityTokenException',
      400,
    ],
    [
      'an external entity',
      () => `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${signedResponseXml(input(), idpKey)}`,
      {},
      'InvalidIdentityTokenException',
      400,
    ],
    [
      'a SessionDuration claim out of range',
      () => signedResponseXml(input({ sessionDuration: '50000' }), idpKey),
      {},
      'IDPRejectedClaimException',
      403,
    ],
    [
      "DurationSeconds above the role's maximum",
      () => signedResponseXml(input(), idpKey),
      { DurationSeconds: 10_800 },
      'ValidationError',
      400,
    ],
  ])('refuses %s with the STS error', async (_case, build, overrides, name, status) => {
    const error = await stsError(assume(build(), overrides));
    expect(error).toMatchObject({ name, status });
  });
});

describe('local AWS sign-in endpoint POST /saml', () => {
  async function post(form: Record<string, string>) {
    const response = await fetch(aws.signInUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    return { status: response.status, headers: response.headers, html: await response.text() };
  }

  it('accepts the form post and says where the user signed in, escaping what it echoes', async () => {
    const reply = await post({
      SAMLResponse: base64(signedResponseXml(input({ sessionDuration: '7200' }), idpKey)),
      RelayState: '<script>alert(1)</script>',
    });
    expect(reply.status).toBe(200);
    expect(reply.html).toContain(
      `Signed in to the LOCAL AWS console stand-in as staxid-admin-role in ${MEMBER_ACCOUNT} (alice@example.com)`,
    );
    expect(reply.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(reply.html).not.toContain('<script>');
    expect(reply.headers.get('content-security-policy')).toBe(
      "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  });

  it('refuses a Response signed by another key with a 400 error page', async () => {
    const reply = await post({ SAMLResponse: base64(signedResponseXml(input(), attackerKey)) });
    expect(reply.status).toBe(400);
    expect(reply.html).toContain('Your request included an invalid SAML response.');
    expect(reply.html).toContain('InvalidIdentityToken');
    expect(reply.html).not.toContain('Signed in');
  });

  it('refuses an unknown role with 403', async () => {
    const roles = [`arn:aws:iam::${MEMBER_ACCOUNT}:role/ghost,${PROVIDER}`];
    const reply = await post({ SAMLResponse: base64(signedResponseXml(input({ roles }), idpKey)) });
    expect(reply.status).toBe(403);
    expect(reply.html).toContain('AccessDenied');
  });

  it('refuses a form without SAMLResponse, and a body that is not a form', async () => {
    expect((await post({ RelayState: 'x' })).status).toBe(400);
    const response = await fetch(aws.signInUrl, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
  });

  it('takes the chosen role when the assertion carries several (roleIndex)', async () => {
    const readonlyRole = `arn:aws:iam::${MEMBER_ACCOUNT}:role/staxid-readonly-role`;
    const roles = [`${ADMIN_ROLE},${PROVIDER}`, `${readonlyRole},${PROVIDER}`];
    const samlResponse = base64(signedResponseXml(input({ roles }), idpKey));
    expect((await post({ SAMLResponse: samlResponse })).status).toBe(400);
    const chosen = await post({ SAMLResponse: samlResponse, roleIndex: readonlyRole });
    expect(chosen.status).toBe(200);
    expect(chosen.html).toContain('as staxid-readonly-role in');
  });
});
