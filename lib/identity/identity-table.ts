import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLE_INDEXES, TABLE_KEYS, TABLE_TTL_ATTRIBUTE } from '@/lambdas/shared/table-schema';

/** Alias of the table's customer-managed key. */
export const TABLE_KEY_ALIAS = 'alias/staxid-table';

/**
 * staxid's single DynamoDB table, keyed as lambdas/shared/table-schema.ts says: on-demand,
 * point-in-time recovery, deletion protection, encrypted with a customer-managed key,
 * kept when the stack is deleted.
 */
export class IdentityTable extends Construct {
  readonly table: TableV2;
  readonly encryptionKey: Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.encryptionKey = new Key(this, 'EncryptionKey', {
      alias: TABLE_KEY_ALIAS,
      description: 'staxid: encrypts the identity table',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
      globalSecondaryIndexes: TABLE_INDEXES.map((index) => ({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      })),
      timeToLiveAttribute: TABLE_TTL_ATTRIBUTE,
      // The audit outbox's delivery and session revocation read the table's changes (ADR 0010).
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: TableEncryptionV2.customerManagedKey(this.encryptionKey),
      contributorInsightsSpecification: { enabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
