import { BatchGetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Db } from '@/lambdas/shared/db';
import type { ItemKey } from '@/lambdas/shared/keys';

/**
 * Small read helpers over the table for the groups, account-type, account and task
 * domains: whole-result Queries, batched strongly consistent GetItems, and typed reads
 * of item attributes (items come back from DynamoDB as untyped records).
 */

export type Item = Record<string, unknown>;

/** Every item a Query returns, following LastEvaluatedKey. */
export async function queryAll(db: Db, input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.doc.send(
      new QueryCommand({ ...input, TableName: db.tableName, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Every item of a kind, from GSI1 (`GSI1PK = <entity>`), in GSI1SK (lower-case name) order. */
export function listByKind(db: Db, entity: string): Promise<Item[]> {
  return queryAll(db, {
    IndexName: 'GSI1',
    KeyConditionExpression: 'GSI1PK = :kind',
    ExpressionAttributeValues: { ':kind': entity },
  });
}

/** The items at `keys` (strongly consistent), in no particular order; missing ones are absent. */
export async function getMany(db: Db, keys: readonly ItemKey[]): Promise<Item[]> {
  const unique = [...new Map(keys.map((key) => [`${key.PK}\u0000${key.SK}`, key])).values()];
  const items: Item[] = [];
  for (let start = 0; start < unique.length; start += 100) {
    let pending: ItemKey[] = unique.slice(start, start + 100).map(({ PK, SK }) => ({ PK, SK }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
      const response = await db.doc.send(
        new BatchGetCommand({ RequestItems: { [db.tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      items.push(...(response.Responses?.[db.tableName] ?? []));
      pending = (response.UnprocessedKeys?.[db.tableName]?.Keys ?? []).map((key) => ({
        PK: String(key.PK),
        SK: String(key.SK),
      }));
      if (attempt > 10 && pending.length > 0) throw new Error('BatchGetItem left keys unprocessed');
    }
  }
  return items;
}

/** Maps with at most `limit` calls in flight. */
export async function mapConcurrent<T, R>(
  values: readonly T[],
  limit: number,
  fn: (value: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(values.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < values.length) {
      const index = next++;
      results[index] = await fn(values[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, values.length) }, worker));
  return results;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- typed attribute reads -------------------------------------------------------------------

export function stringAttr(item: Item, name: string): string | undefined {
  const value = item[name];
  return typeof value === 'string' ? value : undefined;
}

export function numberAttr(item: Item, name: string): number | undefined {
  const value = item[name];
  return typeof value === 'number' ? value : undefined;
}

export function stringListAttr(item: Item, name: string): string[] {
  const value = item[name];
  if (value instanceof Set) return [...value].filter((entry): entry is string => typeof entry === 'string');
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
}

export function recordListAttr(item: Item, name: string): Item[] {
  const value = item[name];
  return Array.isArray(value)
    ? value.filter((entry): entry is Item => typeof entry === 'object' && entry !== null)
    : [];
}

/**
 * The condition that an item still has the `Version` it was read with (optimistic
 * concurrency). Items written before versions existed have none: they must still have none.
 */
export function versionCondition(version: number | undefined): {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  return version === undefined
    ? {
        expression: 'attribute_exists(PK) AND attribute_not_exists(#version)',
        names: { '#version': 'Version' },
        values: {},
      }
    : {
        expression: 'attribute_exists(PK) AND #version = :expectedVersion',
        names: { '#version': 'Version' },
        values: { ':expectedVersion': version },
      };
}

/** The condition parts of a Delete or ConditionCheck that requires the item's `Version` to be unchanged. */
export function onlyIfVersion(version: number | undefined): {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  const condition = versionCondition(version);
  return {
    ConditionExpression: condition.expression,
    ExpressionAttributeNames: condition.names,
    ...(Object.keys(condition.values).length > 0 && { ExpressionAttributeValues: condition.values }),
  };
}

/**
 * An Update that sets `assignments` (attribute name → value), `ModifiedTS` and the next
 * `Version`, on condition that the item still has the `Version` it was read with.
 */
export function versionedUpdate(
  tableName: string,
  key: { PK: string; SK: string },
  version: number | undefined,
  assignments: Readonly<Record<string, unknown>>,
  now: string,
) {
  const condition = versionCondition(version);
  const names: Record<string, string> = { ...condition.names };
  const values: Record<string, unknown> = {
    ...condition.values,
    ':modifiedTs': now,
    ':nextVersion': (version ?? 0) + 1,
  };
  const sets = ['ModifiedTS = :modifiedTs', '#version = :nextVersion'];
  const removes: string[] = [];
  for (const [index, [name, value]] of Object.entries(assignments).entries()) {
    names[`#a${index}`] = name;
    if (value === undefined) removes.push(`#a${index}`);
    else {
      values[`:a${index}`] = value;
      sets.push(`#a${index} = :a${index}`);
    }
  }
  return {
    Update: {
      TableName: tableName,
      Key: { PK: key.PK, SK: key.SK },
      UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: condition.expression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}
