import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AuditEventExistsError,
  AuditWriteError,
  auditEvent,
  auditObjectKey,
  FileAuditSink,
  MemoryAuditSink,
} from '@/lambdas/shared/audit';
import { S3AuditSink } from '@/lambdas/shared/audit-bucket';
import { ADMIN } from '@/test/support/api-event';

const AT = new Date('2026-11-26T07:08:09.123Z');

function sampleEvent() {
  return auditEvent({
    type: 'teams.CreateGroup',
    actor: ADMIN,
    targets: [{ type: 'group', id: 'g-1', name: 'DevOps' }],
    detail: { Name: 'DevOps' },
    requestId: 'req-1',
    time: AT,
  });
}

describe('auditEvent', () => {
  it('builds the envelope from the caller, with a fresh id and the service meta', () => {
    const event = sampleEvent();
    expect(event).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      staxEventType: 'teams.CreateGroup',
      time: '2026-11-26T07:08:09.123Z',
      outcome: 'SUCCESS',
      actor: { type: 'user', id: ADMIN.id, role: 'customer_admin' },
      target: [{ type: 'group', id: 'g-1', name: 'DevOps' }],
      detail: { Name: 'DevOps' },
      meta: { service: 'staxid', version: expect.any(String), requestId: 'req-1' },
    });
    expect(sampleEvent().eventId).not.toBe(event.eventId);
  });
});

describe('auditObjectKey', () => {
  it('lays events out by UTC hour, as the bucket and $STAXID_HOME/audit do', () => {
    const event = sampleEvent();
    expect(auditObjectKey(event)).toBe(`events/2026/11/26/07/${event.eventId}.json`);
  });
});

describe('FileAuditSink', () => {
  const root = mkdtempSync(join(tmpdir(), 'staxid-audit-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes one private JSON file per event at the bucket key', async () => {
    const event = sampleEvent();
    await new FileAuditSink(root).write(event);

    const path = join(root, auditObjectKey(event));
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(event);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('never overwrites an event', async () => {
    const event = sampleEvent();
    const sink = new FileAuditSink(root);
    await sink.write(event);
    await expect(sink.write(event)).rejects.toBeInstanceOf(AuditEventExistsError);
    expect(JSON.parse(readFileSync(join(root, auditObjectKey(event)), 'utf8'))).toEqual(event);
  });
});

describe('S3AuditSink', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());

  function sink() {
    return new S3AuditSink({
      bucket: 'staxid-audit-333333333333-eu-west-1',
      writerRoleArn: 'arn:aws:iam::222222222222:role/staxid-audit-writer',
      region: 'eu-west-1',
      s3: new S3Client({ region: 'eu-west-1' }),
    });
  }

  it('puts the event under events/ without overwriting', async () => {
    s3.on(PutObjectCommand).resolves({});
    const event = sampleEvent();
    await sink().write(event);

    const calls = s3.commandCalls(PutObjectCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      Bucket: 'staxid-audit-333333333333-eu-west-1',
      Key: auditObjectKey(event),
      Body: JSON.stringify(event),
      ContentType: 'application/json',
      IfNoneMatch: '*',
    });
  });

  it('turns any S3 failure into an AuditWriteError', async () => {
    s3.on(PutObjectCommand).rejects(new Error('AccessDenied'));
    const write = sink().write(sampleEvent());
    await expect(write).rejects.toBeInstanceOf(AuditWriteError);
    await expect(write).rejects.not.toBeInstanceOf(AuditEventExistsError);
  });

  it('reports an event already in the bucket (412 to If-None-Match) as AuditEventExistsError', async () => {
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'PreconditionFailed',
        $fault: 'client',
        $metadata: { httpStatusCode: 412 },
        message: 'At least one of the pre-conditions you specified did not hold',
      }),
    );
    await expect(sink().write(sampleEvent())).rejects.toBeInstanceOf(AuditEventExistsError);
  });
});

describe('MemoryAuditSink', () => {
  it('keeps events and can be made to fail', async () => {
    const sink = new MemoryAuditSink();
    await sink.write(sampleEvent());
    sink.failWith = new Error('down');
    await expect(sink.write(sampleEvent())).rejects.toBeInstanceOf(AuditWriteError);
    expect(sink.events).toHaveLength(1);
  });
});
