import { SimulatedOrganization } from '@/lambdas/shared/organization';
import { anonymousStsClient } from '@/lambdas/signin/deps';
import { SIGNIN_ENV } from '@/lambdas/signin/env';
import { samlMetadataHandler } from '@/lambdas/signin/saml-metadata';
import { signInHandler } from '@/lambdas/signin/sign-in';
import type { SignInDeps } from '@/lambdas/signin/sign-in-service';
import { type LocalAws, startLocalAws } from '@/local/aws';
import {
  ACTIVE_USER,
  createSignInWorld,
  ENTITY_ID,
  postSignIn,
  SIGN_IN_URL,
  type SignInWorld,
} from '@/test/lambdas/signin/harness';
import { quietLogger } from '@/test/lambdas/tasks/harness';
import { apiEvent, lambdaContext } from '@/test/support/api-event';

/**
 * Sign-in against the local AWS stand-ins (local/aws), which check a SAML Response as AWS
 * does: signature against the metadata this service publishes, audience, recipient, time
 * window, role/provider pair. No mock between the handler and the checks.
 */
let w: SignInWorld;
let aws: LocalAws;
let deps: SignInDeps;
const signIn = signInHandler(() => deps, quietLogger);

beforeAll(async () => {
  w = await createSignInWorld();
  w.stsMock.restore();
  const metadata = samlMetadataHandler(() => ({
    entityId: ENTITY_ID,
    certificates: w.signer,
    signInUrl: SIGN_IN_URL,
  }));
  aws = await startLocalAws({
    builtinSessionSeconds: 3600,
    metadata: async () => (await metadata(apiEvent({ path: '/saml/metadata.xml' }), lambdaContext)).body,
    organization: new SimulatedOrganization({
      OrganizationId: 'o-test000000',
      ManagementAccountId: '100000000001',
      Accounts: [
        { Id: '100000000001', Name: 'management', Email: 'management@example.com' },
        { Id: w.held.awsAccountId, Name: 'dev', Email: 'dev@example.com' },
      ],
    }),
  });
  deps = {
    ...w.deps,
    sts: anonymousStsClient({ AWS_REGION: 'us-east-1', [SIGNIN_ENV.stsEndpoint]: aws.stsEndpoint }),
    config: { ...w.deps.config, destination: aws.signInUrl },
  };
});
afterAll(async () => {
  await aws.close();
  await w.cleanUp();
});

const body = (Mode: string) => ({ AccountId: w.held.awsAccountId, RoleName: 'staxid-admin-role', Mode });

it('credentials: the local STS accepts the assertion and its credentials come back', async () => {
  const result = await postSignIn(signIn, ACTIVE_USER, body('credentials'));
  expect(result.statusCode).toBe(200);
  const credentials = JSON.parse(result.body) as Record<string, unknown>;
  expect(credentials).toMatchObject({ Version: 1 });
  expect(String(credentials.AccessKeyId)).toMatch(/^ASIALOCAL/);
  expect(Date.parse(String(credentials.Expiration))).toBeGreaterThan(Date.now());
});

it('console: the local sign-in endpoint accepts the form the page posts', async () => {
  const result = await postSignIn(signIn, ACTIVE_USER, body('console'));
  expect(result.statusCode).toBe(200);
  expect(result.body).toContain(`action="${aws.signInUrl}"`);
  const samlResponse = result.body.match(/name="SAMLResponse" value="([^"]*)"/)?.[1] ?? '';
  const posted = await fetch(aws.signInUrl, {
    method: 'POST',
    body: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: '' }),
  });
  const page = await posted.text();
  expect(posted.status).toBe(200);
  expect(page).toContain(`staxid-admin-role in ${w.held.awsAccountId}`);
});
