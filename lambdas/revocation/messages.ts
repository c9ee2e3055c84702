import { z } from 'zod';

/**
 * The message the fan-out function sends and the worker consumes: one per (member account,
 * user, action). Both sides parse it through this one schema.
 */

/** Environment variable with the URL of the revocation FIFO queue (fan-out function). */
export const REVOCATION_QUEUE_URL_ENV = 'STAXID_REVOCATION_QUEUE_URL';

/** Environment variable with the ARN of `staxid-deployer`, which the worker assumes first. */
export const DEPLOYER_ROLE_ARN_ENV = 'STAXID_DEPLOYER_ROLE_ARN';

export const REVOCATION_ACTIONS = ['revoke', 'restore'] as const;
export type RevocationAction = (typeof REVOCATION_ACTIONS)[number];

export const revocationMessageSchema = z
  .object({
    /** The 12-digit AWS account id of the member account. */
    awsAccountId: z.string().regex(/^\d{12}$/),
    /** The staxid user id: the `SourceIdentity` of their AWS sessions. */
    userId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
    action: z.enum(REVOCATION_ACTIONS),
    /** When the user's status changed (the stream record's approximate time), ISO 8601. */
    at: z.string().datetime(),
  })
  .strict();

export type RevocationMessage = z.infer<typeof revocationMessageSchema>;

/** The message in `body`, or a RevocationMessageError naming what is wrong. */
export function parseRevocationMessage(body: string): RevocationMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new RevocationMessageError('the body is not JSON');
  }
  const result = revocationMessageSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new RevocationMessageError(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

/** A message that can never be applied: retrying will not help, it belongs in the DLQ. */
export class RevocationMessageError extends Error {
  readonly code = 'RevocationMessageError';

  constructor(message: string) {
    super(`invalid revocation message: ${message}`);
    this.name = 'RevocationMessageError';
  }
}
