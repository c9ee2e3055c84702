import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { DeploymentMessage } from '@/lambdas/deployments/messages';
import { SqsDeploymentQueue } from '@/lambdas/deployments/sqs-deployment-queue';

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());

const messages: DeploymentMessage[] = Array.from({ length: 12 }, (_, i) => ({
  permissionSetId: 'ps-1',
  assignmentId: 'as-1',
  awsAccountId: String(100_000_000_000 + i),
  action: 'deploy',
  requestedAt: '2026-11-30T12:00:00.000Z',
}));

test('sends batches of 10 grouped by AWS account, with a content deduplication id', async () => {
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });

  await new SqsDeploymentQueue(new SQSClient({}), 'https://sqs/q.fifo').enqueue(messages);

  const batches = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries ?? []);
  expect(batches.map((batch) => batch.length)).toEqual([10, 2]);
  const first = batches[0]?.[0];
  expect(first?.MessageGroupId).toBe('100000000000');
  expect(JSON.parse(first?.MessageBody ?? '')).toEqual(messages[0]);
  expect(first?.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
  expect(new Set(batches.flat().map((entry) => entry.MessageDeduplicationId)).size).toBe(12);
});

test('sends again the entries SQS reports as failed, and only those', async () => {
  sqs
    .on(SendMessageBatchCommand)
    .resolvesOnce({ Successful: [], Failed: [{ Id: '1', Code: 'ThrottlingException', SenderFault: false }] })
    .resolves({ Successful: [], Failed: [] });

  await new SqsDeploymentQueue(new SQSClient({}), 'https://sqs/q.fifo', { sleep: async () => {} }).enqueue(
    messages.slice(0, 2),
  );

  const calls = sqs.commandCalls(SendMessageBatchCommand);
  expect(calls).toHaveLength(2);
  expect(calls[1]?.args[0].input.Entries?.map((entry) => entry.Id)).toEqual(['1']);
});
