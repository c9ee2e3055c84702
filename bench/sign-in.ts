/**
 * What the AWS sign-in rows of `npm run bench` need (issue 4, "Benchmark"): an organization in
 * which one person holds roles through groups → account types, written straight into the table
 * with the domains' own item writers, and the two bare costs the sign-in target is expressed in:
 * one RSA-2048 signature (node:crypto, as the local SAML signer makes it) and one jose JWT
 * verification (ES256 with a local key, as the authorizer verifies an API token).
 */
import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { accountItem, accountTypeItem, type RoleGrant } from '@/lambdas/accounts/account-items';
import { groupItem, membershipItem } from '@/lambdas/groups/group-items';
import { type AccessLevel, BUILTIN_ROLE_NAMES } from '@/lambdas/shared/constants';
import { newId } from '@/lambdas/shared/ids';
import type { Item } from '@/lambdas/shared/store';

/** Account types of the bench organization, and accounts in each. */
const ACCOUNT_TYPES = 4;
const ACCOUNTS_PER_TYPE = 10;

/** The bench organization: its items, and the (account, role) the measured sign-in asks for. */
export interface SignInOrganization {
  readonly items: readonly Item[];
  /** The 12-digit AWS account id signed in to. */
  readonly awsAccountId: string;
  readonly roleName: string;
  /** How many (account, role) pairs the person holds: what ReadMyRoles must list. */
  readonly heldRoles: number;
}

/**
 * Four account types of ten ACTIVE accounts each, and four groups: the person is a member of
 * three of them (developers → developer on types 0 and 1, everyone → readonly on every type,
 * operators → admin on type 3); the fourth group (admin on every type) has no member, so the
 * entitlements must leave it out.
 */
export function signInOrganization(userId: string, now: string): SignInOrganization {
  const group = (name: string) => ({ id: newId(), name });
  const developers = group('bench-developers');
  const everyone = group('bench-everyone');
  const operators = group('bench-operators');
  const outsiders = group('bench-outsiders');
  const grantsOf = (type: number): RoleGrant[] => {
    const grants: [string, AccessLevel][] = [
      [everyone.id, 'readonly'],
      [outsiders.id, 'admin'],
    ];
    if (type < 2) grants.push([developers.id, 'developer']);
    if (type === 3) grants.push([operators.id, 'admin']);
    return grants.map(([GroupId, RoleName]) => ({ GroupId, RoleName }));
  };
  const items: Item[] = [
    ...[developers, everyone, operators, outsiders].map(({ id, name }) =>
      groupItem({
        id,
        name,
        groupType: 'LOCAL',
        status: 'ACTIVE',
        createdTs: now,
        modifiedTs: now,
        version: 1,
      }),
    ),
    ...[developers, everyone, operators].map(({ id }) => membershipItem(id, userId, now)),
  ];
  let heldRoles = 0;
  let firstDeveloperAccount: string | undefined;
  for (let type = 0; type < ACCOUNT_TYPES; type++) {
    const typeId = newId();
    const accounts = Array.from({ length: ACCOUNTS_PER_TYPE }, (_, index) => ({
      id: newId(),
      awsAccountId: String(100_000_000_000 + type * 1000 + index),
      name: `bench-type${type}-account${index}`,
    }));
    items.push(
      ...accounts.map((account) =>
        accountItem({
          ...account,
          awsName: account.name,
          status: 'ACTIVE',
          accountRole: 'MEMBER',
          accountType: typeId,
          createdTs: now,
          modifiedTs: now,
          version: 1,
        }),
      ),
      accountTypeItem({
        id: typeId,
        name: `bench-type-${type}`,
        createdTs: now,
        modifiedTs: now,
        version: 1,
        roles: grantsOf(type),
        accounts: accounts.map((account) => ({
          AccountId: account.id,
          AwsAccountId: account.awsAccountId,
          Name: account.name,
          Status: 'ACTIVE',
        })),
      }),
    );
    const heldPerAccount = 1 + (type < 2 ? 1 : 0) + (type === 3 ? 1 : 0);
    heldRoles += heldPerAccount * ACCOUNTS_PER_TYPE;
    if (type === 1) firstDeveloperAccount = accounts[0]?.awsAccountId;
  }
  if (!firstDeveloperAccount) throw new Error('the bench organization has no developer account');
  return {
    items,
    awsAccountId: firstDeveloperAccount,
    roleName: BUILTIN_ROLE_NAMES.developer,
    heldRoles,
  };
}

/**
 * The bytes an assertion's signature covers are the canonical SignedInfo, about 600 bytes; the
 * bare signature signs as many random bytes, so that only the RSA operation differs.
 */
const SIGNED_INFO_BYTES = 600;

/** One bare RSASSA-PKCS1-v1_5 SHA-256 signature with a fresh RSA-2048 key, per call. */
export function bareRsaSignature(): () => void {
  const key: KeyObject = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const data = randomBytes(SIGNED_INFO_BYTES);
  return () => {
    if (sign('sha256', data, key).length !== 256) throw new Error('an RSA-2048 signature is 256 bytes');
  };
}

/** One bare jose `jwtVerify` of an ES256 JWT with a local public key (issuer, audience, expiry checked), per call. */
export async function bareJwtVerification(): Promise<() => Promise<void>> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const claims = { issuer: 'https://bench.staxid.invalid', audience: 'staxid-bench' };
  const token = await new SignJWT({ scope: 'bench' })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setSubject(newId())
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
  return async () => {
    const { payload } = await jwtVerify(token, publicKey, { ...claims, algorithms: ['ES256'] });
    if (payload.scope !== 'bench') throw new Error('the verified JWT lost its claims');
  };
}
