import { accountItem, type StoredAccount } from '@/lambdas/accounts/account-items';

/** An ACTIVE member account's item, as discovery writes it, for the revocation tests. */
export function memberAccountItem(id: string, awsAccountId: string, overrides: Partial<StoredAccount> = {}) {
  return accountItem({
    id,
    awsAccountId,
    name: `account-${awsAccountId}`,
    awsName: `account-${awsAccountId}`,
    status: 'ACTIVE',
    accountRole: 'MEMBER',
    version: 1,
    ...overrides,
  });
}
