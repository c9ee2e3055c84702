/**
 * The key schema of staxid's single DynamoDB table. The Identity stack, the local
 * runtime and the test harness all create the table from this one description, so
 * a table in a test has exactly the keys and indexes it has in AWS.
 *
 * - `PK`/`SK`: the item's own key (`USER#<id>` / `PROFILE`, `GROUP#<id>` / `MEMBER#<userId>`, ...).
 * - `GSI1`: overloaded lookups by a second key (e.g. every item of a kind, sorted by name).
 * - `GSI2`: the inverse of a relationship (e.g. from a user to the groups that hold them).
 * - `ttl`: epoch seconds after which DynamoDB may delete the item (tasks, revoked token ids).
 */
export const TABLE_KEYS = { partitionKey: 'PK', sortKey: 'SK' } as const;

export const TABLE_INDEXES = [
  { indexName: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
  { indexName: 'GSI2', partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
] as const;

export const TABLE_TTL_ATTRIBUTE = 'ttl';

export type TableIndexName = (typeof TABLE_INDEXES)[number]['indexName'];
