/**
 * The world of the sign-in tests: a table in DynamoDB Local holding one ACTIVE and one
 * DISABLED user in a group that has the `admin` role on the "Development" account type,
 * an account of that type and one of a type the group has no access to; a SAML signer on
 * a local key in a temp dir; an STS client whose calls aws-sdk-client-mock answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { STSClient } from '@aws-sdk/client-sts';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { createAccountTypeHandler } from '@/lambdas/accounts/create-account-type';
import { updateAccountTypeAccessHandler } from '@/lambdas/accounts/update-account-type-access';
import { updateAccountTypeMembersHandler } from '@/lambdas/accounts/update-account-type-members';
import { createGroupHandler } from '@/lambdas/groups/create-group';
import { updateGroupMembersHandler } from '@/lambdas/groups/update-group-members';
import { LocalSamlSigner } from '@/lambdas/saml/signer';
import { AWS_SAML_SIGNIN_URL } from '@/lambdas/shared/constants';
import type { Caller } from '@/lambdas/shared/permissions';
import { anonymousStsClient, signInEntitlements } from '@/lambdas/signin/deps';
import type { SignInDeps } from '@/lambdas/signin/sign-in-service';
import { createHarness, type Harness, putAccount, putUser } from '@/test/lambdas/tasks/harness';
import { ADMIN, apiEvent, invoke, lambdaContext } from '@/test/support/api-event';

export const ENTITY_ID = 'https://api.staxid.test/saml/metadata.xml';
export const SIGN_IN_URL = 'https://console.staxid.test';

export const ACTIVE_USER: Caller = {
  kind: 'user',
  id: 'a1a1a1a1-0000-4000-8000-000000000001',
  role: 'customer_user',
};
export const DISABLED_USER: Caller = {
  kind: 'user',
  id: 'a2a2a2a2-0000-4000-8000-000000000002',
  role: 'customer_user',
};
export const TOKEN_CALLER: Caller = {
  kind: 'token',
  id: 'a3a3a3a3-0000-4000-8000-000000000003',
  role: 'api_admin',
};

export interface SignInWorld {
  readonly h: Harness;
  readonly signer: LocalSamlSigner;
  readonly sts: STSClient;
  readonly stsMock: AwsClientStub<STSClient>;
  readonly deps: SignInDeps;
  /** In the account type the group has `admin` on. */
  readonly held: { readonly id: string; readonly awsAccountId: string };
  /** In an account type the group has no access to. */
  readonly outside: { readonly id: string; readonly awsAccountId: string };
  readonly activeEmail: string;
  cleanUp(): Promise<void>;
}

async function ok<T>(response: Promise<{ status: number; body: unknown }>): Promise<T> {
  const { status, body } = await response;
  if (status !== 200) throw new Error(`setup request failed: ${status} ${JSON.stringify(body)}`);
  return body as T;
}

export async function createSignInWorld(): Promise<SignInWorld> {
  const h = await createHarness();
  const harnessDeps = () => h.deps;
  const keysDir = mkdtempSync(join(tmpdir(), 'staxid-saml-'));
  const signer = new LocalSamlSigner(keysDir);
  const sts = anonymousStsClient({ AWS_REGION: 'us-east-1' });
  const stsMock = mockClient(sts);

  const typeId = async (Name: string) =>
    (
      await ok<{ Detail: { AccountType: { Id: string } } }>(
        invoke(createAccountTypeHandler(harnessDeps), { method: 'POST', body: { Name }, caller: ADMIN }),
      )
    ).Detail.AccountType.Id;
  const development = await typeId('Development');
  const production = await typeId('Production');
  const { GroupId } = await ok<{ GroupId: string }>(
    invoke(createGroupHandler(harnessDeps), { method: 'POST', body: { Name: 'Engineers' }, caller: ADMIN }),
  );
  await putUser(h, { id: ACTIVE_USER.id });
  await putUser(h, { id: DISABLED_USER.id, status: 'DISABLED' });
  await ok(
    invoke(updateGroupMembersHandler(harnessDeps), {
      method: 'PUT',
      body: {
        AddMembers: [
          { GroupId, UserId: ACTIVE_USER.id },
          { GroupId, UserId: DISABLED_USER.id },
        ],
      },
      caller: ADMIN,
    }),
  );
  await ok(
    invoke(updateAccountTypeAccessHandler(harnessDeps), {
      method: 'PUT',
      body: { AddRoles: [{ AccountTypeId: development, GroupId, RoleName: 'admin' }] },
      caller: ADMIN,
    }),
  );
  const held = await putAccount(h, { name: 'dev' });
  const outside = await putAccount(h, { name: 'prod' });
  await ok(
    invoke(updateAccountTypeMembersHandler(harnessDeps), {
      method: 'PUT',
      body: {
        Members: [
          { AccountId: held.id, AccountTypeId: development },
          { AccountId: outside.id, AccountTypeId: production },
        ],
      },
      caller: ADMIN,
    }),
  );
  h.audit.events.length = 0;
  const db = h.deps.db;
  return {
    h,
    signer,
    sts,
    stsMock,
    held,
    outside,
    activeEmail: `${ACTIVE_USER.id.slice(0, 8)}@example.com`,
    deps: {
      db,
      clock: h.clock,
      audit: h.audit,
      signer,
      sts,
      entitlements: signInEntitlements(db),
      config: {
        entityId: ENTITY_ID,
        destination: AWS_SAML_SIGNIN_URL,
        partition: 'aws',
        builtinSessionSeconds: 3600,
      },
    },
    cleanUp: async () => {
      stsMock.restore();
      rmSync(keysDir, { recursive: true, force: true });
      await h.drop();
    },
  };
}

type ProxyHandler = (
  event: ReturnType<typeof apiEvent>,
  context: typeof lambdaContext,
) => Promise<APIGatewayProxyResult>;

/** Posts a sign-in body as `caller`; the raw proxy result (the body may be HTML). */
export function postSignIn(
  handler: ProxyHandler,
  caller: Caller,
  body: unknown,
): Promise<APIGatewayProxyResult> {
  return handler(apiEvent({ method: 'POST', path: '/20190206/aws/sign-in', body, caller }), lambdaContext);
}
