/**
 * The baseline bundle of `npm run bench`: a handler holding only what every staxid function
 * needs at least — the DynamoDB document client, jose (JWT verification against a JWKS) and
 * middy — each used, so that tree-shaking keeps what a real handler would keep.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));

interface BaselineEvent {
  readonly token: string;
  readonly jwks?: JSONWebKeySet;
  readonly jwksUrl?: string;
  readonly id: string;
}

export const handler = middy(async (event: BaselineEvent) => {
  const keys = event.jwks ? createLocalJWKSet(event.jwks) : createRemoteJWKSet(new URL(event.jwksUrl ?? ''));
  const { payload } = await jwtVerify(event.token, keys);
  const { Item } = await doc.send(
    new GetCommand({ TableName: 'baseline', Key: { PK: event.id, SK: payload.sub } }),
  );
  return { statusCode: 200, body: JSON.stringify(Item ?? null) };
});
