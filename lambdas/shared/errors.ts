/**
 * Domain errors. Domain code throws these; exactly one place (the error-mapper
 * middleware in lambdas/shared/api.ts) turns them into HTTP responses. Every message
 * is written for the caller: it says what was wrong and how to fix it, and never
 * carries internal detail.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: 400 | 401 | 403 | 404 | 409 | 412 | 413 | 429 | 503;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed; `field` names the offending input (a JSON path like `Body.Email`, or a parameter). */
export class ValidationError extends DomainError {
  readonly code = 'ValidationError';
  readonly status = 400;

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** The request is well-formed but not allowed in the resource's current state (e.g. editing a DISABLED user). */
export class InvalidStateError extends DomainError {
  readonly code = 'InvalidStateError';
  readonly status = 400;
}

export class UnauthorizedError extends DomainError {
  readonly code = 'UnauthorizedError';
  readonly status = 401;

  constructor(message = 'Unauthorized: send a valid bearer token in the Authorization header.') {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  readonly code = 'ForbiddenError';
  readonly status = 403;
}

export class NotFoundError extends DomainError {
  readonly code = 'NotFoundError';
  readonly status = 404;

  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${JSON.stringify(id)} not found`);
  }
}

/** A uniqueness rule would be broken (a name or email already taken). */
export class ConflictError extends DomainError {
  readonly code = 'ConflictError';
  readonly status = 409;
}

/** The resource changed since the caller read it (optimistic concurrency): read it again and retry. */
export class ConcurrentModificationError extends DomainError {
  readonly code = 'ConcurrentModificationError';
  readonly status = 409;

  constructor(resource: string, id: string) {
    super(
      `${resource} ${JSON.stringify(id)} was changed by another request at the same time: read it again and retry`,
    );
  }
}

export class PayloadTooLargeError extends DomainError {
  readonly code = 'PayloadTooLargeError';
  readonly status = 413;
}

/**
 * A dependency the caller cannot help (a queue, a downstream service) refused after the
 * request's own change was handled as far as it could be: 503, with a message that says
 * what was saved and how to retry. The error mapper logs it with its cause.
 */
export class ServiceUnavailableError extends DomainError {
  readonly code: string = 'ServiceUnavailableError';
  readonly status = 503;

  constructor(message: string, cause?: unknown) {
    super(message);
    if (cause !== undefined) this.cause = cause;
  }
}

/**
 * An audit event could not be stored. Not a DomainError: the caller did nothing wrong,
 * and the request it belongs to fails (503) with nothing changed. Kept here rather than
 * in audit.ts so that handlers can recognize it without bundling the S3 client.
 */
export class AuditWriteError extends Error {
  readonly code = 'AuditWriteError';

  constructor(cause: unknown) {
    super('the audit event could not be written', { cause });
    this.name = 'AuditWriteError';
  }
}
