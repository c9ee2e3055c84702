/**
 * Changing users: CreateUser (invite), UpdateUser, UpdateUserInvite, UpdateUserPassword,
 * DeleteUser. Every change goes the same way (`apply`):
 *
 * 1. checks that need no write (404, 403, 400, an email already taken: 409);
 * 2. the audit event, BEFORE anything is written: if it cannot be stored the request fails
 *    (503 from the pipeline) and nothing changes ("no audit event, no change");
 * 3. one DynamoDB transaction: the user item under a `Version` condition (no lost update),
 *    the email guard, memberships, the task. A failed `Version` condition means another
 *    request changed the user meanwhile: the request is read again, checked again and
 *    re-applied (up to 5 attempts, no second audit event); any other failed condition (an
 *    email taken: 409) ends it. An error after the intent event is followed by a FAILURE event;
 * 4. the user directory (Cognito), after the commit, so that no invitation goes out for a
 *    user the table refused. Should Cognito fail, the transaction is undone, a FAILURE event
 *    written and the error returned: nothing partial stays behind.
 */
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type AuditEvent, type AuditSink, type AuditTarget, auditEvent } from '@/lambdas/shared/audit';
import { outboxAuditSinkFromEnv } from '@/lambdas/shared/audit-outbox';
import { type Clock, type Db, dbFromEnv, systemClock } from '@/lambdas/shared/db';
import { directoryFromEnv, type UserDirectory } from '@/lambdas/shared/directory';
import {
  ConcurrentModificationError,
  ConflictError,
  DomainError,
  ForbiddenError,
  InvalidStateError,
  ValidationError,
} from '@/lambdas/shared/errors';
import { newId } from '@/lambdas/shared/ids';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import { logger as defaultLogger, errorFields, type Logger } from '@/lambdas/shared/logger';
import { assertAllowed, type Caller, type OperationId } from '@/lambdas/shared/permissions';
import { hasLevel, mayGrant, type UserRole } from '@/lambdas/shared/roles';
import { taskPut } from '@/lambdas/shared/tasks';
import {
  AUTH_ORIGIN,
  cognitoUsernameOf,
  DEFAULT_USER_ROLE,
  emailGuardKey,
  INVITATION_VALIDITY_MS,
  type Item,
  isLocalUser,
  type UserRecord,
  type UserStatus,
  userItem,
  userKey,
} from '@/lambdas/users/user-model';
import { getLiveUser, organisationIdFromEnv } from '@/lambdas/users/user-queries';

export interface UserServiceDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly directory: UserDirectory;
  readonly audit: AuditSink;
  /** The installation's Stax OrganisationId (also its CustomerId). */
  readonly organisationId: string;
  /** @default the shared JSON logger */
  readonly logger?: Logger;
}

/** The body of CreateUser, as the spec's `teams.CreateUser` (validated before it gets here). */
export interface CreateUserInput {
  readonly Email: string;
  readonly FirstName: string;
  readonly LastName: string;
  readonly Role?: UserRole;
}

/** The body of UpdateUser, as the spec's `teams.UpdateUser`. */
export interface UpdateUserInput {
  readonly Email?: string;
  readonly FirstName?: string;
  readonly LastName?: string;
  readonly Role?: UserRole;
  readonly Status?: 'ACTIVE' | 'DISABLED';
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** One write of the transaction, and what a failed condition on it means to the caller. */
interface Step {
  readonly item: TransactItem;
  readonly onConditionFailed?: () => DomainError;
}

/** A call to the user directory after the commit, and how to take it back. */
interface Effect {
  run(): Promise<void>;
  undo?(): Promise<void>;
}

interface Change {
  readonly type: OperationId;
  readonly caller: Caller;
  readonly requestId: string;
  readonly targets: readonly AuditTarget[];
  readonly detail?: Readonly<Record<string, unknown>>;
  /** Committed after the audit event. The first 100 are one transaction; more follow in further ones. */
  readonly steps: readonly Step[];
  /** Reverts the steps, should a later part fail. */
  readonly undo: readonly TransactItem[];
  readonly effects: readonly Effect[];
}

/** The most writes one DynamoDB transaction may hold. */
const TRANSACTION_LIMIT = 100;

/** How often a request that met a concurrent change of the same user is tried in all. */
const MAX_ATTEMPTS = 5;

/** One request across its attempts: its intent event is written once, by the first attempt that gets that far. */
interface Session {
  intent?: AuditEvent;
  change?: Change;
}

export class UserService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly directory: UserDirectory;
  private readonly audit: AuditSink;
  private readonly log: Logger;
  readonly organisationId: string;

  constructor(deps: UserServiceDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.directory = deps.directory;
    this.audit = deps.audit;
    this.organisationId = deps.organisationId;
    this.log = deps.logger ?? defaultLogger;
  }

  /** Invites a user (CreateUser). A taken email is a 409 at once: no retry can free it. */
  createUser(
    caller: Caller,
    input: CreateUserInput,
    requestId: string,
  ): Promise<{ user: UserRecord; taskId: string }> {
    return this.run(false, (session) => this.createUserAttempt(session, caller, input, requestId));
  }

  /** UpdateUser; a concurrent change of the same user is read again and the request re-applied. */
  updateUser(
    caller: Caller,
    userId: string,
    input: UpdateUserInput,
    requestId: string,
  ): Promise<{ user: UserRecord; taskId: string }> {
    return this.run(true, (session) => this.updateUserAttempt(session, caller, userId, input, requestId));
  }

  /** UpdateUserInvite: a new invitation for an INVITED user. */
  resendInvitation(caller: Caller, userId: string, requestId: string): Promise<UserRecord> {
    return this.run(true, (session) => this.resendInvitationAttempt(session, caller, userId, requestId));
  }

  /** UpdateUserPassword: Cognito makes the user choose a new password; the user item records when. */
  resetPassword(caller: Caller, userId: string, requestId: string): Promise<UserRecord> {
    return this.run(true, (session) => this.resetPasswordAttempt(session, caller, userId, requestId));
  }

  /** DeleteUser. */
  deleteUser(caller: Caller, userId: string, requestId: string): Promise<UserRecord> {
    return this.run(true, (session) => this.deleteUserAttempt(session, caller, userId, requestId));
  }

  // ---- CreateUser ----------------------------------------------------------------------

  private async createUserAttempt(
    session: Session,
    caller: Caller,
    input: CreateUserInput,
    requestId: string,
  ): Promise<{ user: UserRecord; taskId: string }> {
    const role = input.Role ?? DEFAULT_USER_ROLE;
    if (!mayGrant(caller.role, role)) {
      throw new ForbiddenError(`Role ${role} is above your own role (${caller.role}): you may not grant it`);
    }
    await this.assertEmailFree(input.Email);

    const now = this.clock.now();
    const id = newId();
    const taskId = newId();
    const user: UserRecord = {
      Id: id,
      Email: input.Email,
      FirstName: input.FirstName,
      LastName: input.LastName,
      Role: role,
      Status: 'INVITED',
      AuthOrigin: AUTH_ORIGIN.local,
      CognitoUsername: id,
      CreatedBy: caller.id,
      CreatedTS: now.toISOString(),
      ModifiedTS: now.toISOString(),
      UserTaskId: taskId,
      InvitedTS: now.toISOString(),
      InviteExpiresTS: new Date(now.getTime() + INVITATION_VALIDITY_MS).toISOString(),
      Version: 1,
    };
    const guard = { ...emailGuardKey(user.Email), UserId: id };
    const task = taskPut(this.db, this.clock, {
      id: taskId,
      operation: 'teams:CreateUser',
      logs: [`Invited ${user.Email} as ${role}`],
      users: [id],
      createdBy: caller.id,
    });
    await this.apply(session, {
      type: 'teams.CreateUser',
      caller,
      requestId,
      targets: [userTarget(user)],
      detail: { Role: role, AuthOrigin: user.AuthOrigin, TaskId: taskId },
      steps: [
        {
          item: {
            Put: {
              TableName: this.db.tableName,
              Item: userItem(user),
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
        },
        {
          item: {
            Put: {
              TableName: this.db.tableName,
              Item: guard,
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          onConditionFailed: () => emailTaken(user.Email),
        },
        { item: task },
      ],
      undo: [
        this.deleteItem(userKey(id)),
        this.deleteGuard(user.Email, id),
        this.deleteItem(entityKey(ENTITY.task, taskId)),
      ],
      effects: [
        {
          run: () =>
            this.directory.createUser({
              username: id,
              email: user.Email,
              firstName: user.FirstName,
              lastName: user.LastName,
            }),
        },
      ],
    });
    return { user, taskId };
  }

  // ---- UpdateUser ----------------------------------------------------------------------

  private async updateUserAttempt(
    session: Session,
    caller: Caller,
    userId: string,
    input: UpdateUserInput,
    requestId: string,
  ): Promise<{ user: UserRecord; taskId: string }> {
    assertAllowed('teams.UpdateUser', caller, userId);
    // Editing one's own profile is a User-level right (ARCHITECTURE §4): Read Only and Cost &
    // Compliance Admin users only read.
    if (!hasLevel(caller.role, 'user')) {
      throw new ForbiddenError(
        `Editing your profile needs a User or Admin role; your role is ${caller.role}`,
      );
    }
    const named = (['FirstName', 'LastName', 'Email', 'Role', 'Status'] as const).filter(
      (field) => input[field] !== undefined,
    );
    if (named.length === 0) {
      throw new ValidationError(
        'Body',
        'names nothing to change: send one or more of FirstName, LastName, Email, Role, Status',
      );
    }
    const current = await getLiveUser(this.db, userId);

    const changed = {
      FirstName: input.FirstName !== undefined && input.FirstName !== current.FirstName,
      LastName: input.LastName !== undefined && input.LastName !== current.LastName,
      Email: input.Email !== undefined && input.Email !== current.Email,
      Role: input.Role !== undefined && input.Role !== current.Role,
      Status: input.Status !== undefined && (input.Status === 'DISABLED') !== (current.Status === 'DISABLED'),
    };
    const otherThanNames = changed.Email || changed.Role || changed.Status;
    const otherThanStatus = changed.FirstName || changed.LastName || changed.Email || changed.Role;

    if (!hasLevel(caller.role, 'admin') && otherThanNames) {
      throw new ForbiddenError(
        'You may change only your own FirstName and LastName: changing Email, Role or Status needs an Admin role',
      );
    }
    if (current.Status === 'DISABLED' && otherThanStatus) {
      throw new InvalidStateError(
        `User ${current.Id} is DISABLED: the only change allowed is Status ACTIVE. Re-activate the user first, then make other changes`,
      );
    }
    if (!isLocalUser(current) && otherThanStatus) {
      throw new InvalidStateError(
        `User ${current.Id} is federated (AuthOrigin ${current.AuthOrigin}): names, email and role come from the identity provider; only Status can be changed here`,
      );
    }
    if (changed.Role && input.Role !== undefined && !mayGrant(caller.role, input.Role)) {
      throw new ForbiddenError(
        `Role ${input.Role} is above your own role (${caller.role}): you may not grant it`,
      );
    }
    const newEmail = changed.Email && input.Email !== undefined ? input.Email : current.Email;
    const swapsGuard = newEmail.toLowerCase() !== current.Email.toLowerCase();
    if (swapsGuard) await this.assertEmailFree(newEmail);

    const now = this.clock.now().toISOString();
    const taskId = newId();
    const disabling = changed.Status && input.Status === 'DISABLED';
    const enabling = changed.Status && input.Status === 'ACTIVE';
    const status: UserStatus = disabling
      ? 'DISABLED'
      : enabling
        ? (current.DisabledFromStatus ?? 'ACTIVE')
        : current.Status;
    const updated: UserRecord = {
      ...current,
      FirstName: changed.FirstName && input.FirstName !== undefined ? input.FirstName : current.FirstName,
      LastName: changed.LastName && input.LastName !== undefined ? input.LastName : current.LastName,
      Email: newEmail,
      Role: changed.Role && input.Role !== undefined ? input.Role : current.Role,
      Status: status,
      ...(disabling && { DisabledFromStatus: current.Status }),
      ModifiedTS: now,
      Version: current.Version + 1,
    };
    if (enabling) delete (updated as { DisabledFromStatus?: UserStatus }).DisabledFromStatus;

    const fields = (Object.keys(changed) as Array<keyof typeof changed>).filter((field) => changed[field]);
    const steps: Step[] = [this.userUpdateStep(current, updated)];
    const undo: TransactItem[] = [this.updateUserItem(updated, current)];
    if (swapsGuard) {
      steps.push(
        {
          item: this.deleteGuard(current.Email, current.Id),
          onConditionFailed: () => changedMeanwhile(current.Id),
        },
        {
          item: {
            Put: {
              TableName: this.db.tableName,
              Item: { ...emailGuardKey(newEmail), UserId: current.Id },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          onConditionFailed: () => emailTaken(newEmail),
        },
      );
      undo.push(this.deleteGuard(newEmail, current.Id), this.putGuard(current.Email, current.Id));
    }
    steps.push({
      item: taskPut(this.db, this.clock, {
        id: taskId,
        operation: 'teams:UpdateUser',
        logs: [
          `Updated ${fields.length > 0 ? fields.join(', ') : 'nothing (already as asked)'} of ${current.Email}`,
        ],
        users: [current.Id],
        createdBy: caller.id,
      }),
    });
    undo.push(this.deleteItem(entityKey(ENTITY.task, taskId)));

    const effects: Effect[] = [];
    const username = cognitoUsernameOf(current);
    if (username !== undefined) {
      if (changed.FirstName || changed.LastName || changed.Email) {
        const attributes = (user: UserRecord) => ({
          ...(changed.FirstName && { firstName: user.FirstName }),
          ...(changed.LastName && { lastName: user.LastName }),
          ...(changed.Email && { email: user.Email }),
        });
        effects.push({
          run: () => this.directory.updateAttributes(username, attributes(updated)),
          undo: () => this.directory.updateAttributes(username, attributes(current)),
        });
      }
      if (disabling) {
        effects.push({
          run: () => this.directory.disable(username),
          undo: () => this.directory.enable(username),
        });
      }
      if (enabling) {
        effects.push({
          run: () => this.directory.enable(username),
          undo: () => this.directory.disable(username),
        });
      }
    }

    await this.apply(session, {
      type: 'teams.UpdateUser',
      caller,
      requestId,
      targets: [userTarget(updated)],
      detail: {
        Changed: fields,
        ...(changed.Role && { Role: updated.Role }),
        ...(changed.Status && { Status: updated.Status }),
        TaskId: taskId,
      },
      steps,
      undo,
      effects,
    });
    return { user: updated, taskId };
  }

  // ---- UpdateUserInvite ----------------------------------------------------------------

  private async resendInvitationAttempt(
    session: Session,
    caller: Caller,
    userId: string,
    requestId: string,
  ): Promise<UserRecord> {
    const current = await getLiveUser(this.db, userId);
    if (!isLocalUser(current)) {
      throw new InvalidStateError(
        `User ${current.Id} is federated (AuthOrigin ${current.AuthOrigin}): they sign in through their identity provider and get no invitation`,
      );
    }
    if (current.Status !== 'INVITED') {
      throw new InvalidStateError(
        `User ${current.Id} is ${current.Status}, not INVITED: only a user who has not signed in yet can be invited again`,
      );
    }
    const now = this.clock.now();
    const updated: UserRecord = {
      ...current,
      InvitedTS: now.toISOString(),
      InviteExpiresTS: new Date(now.getTime() + INVITATION_VALIDITY_MS).toISOString(),
      ModifiedTS: now.toISOString(),
      Version: current.Version + 1,
    };
    const username = cognitoUsernameOf(current) ?? current.Id;
    await this.apply(session, {
      type: 'teams.UpdateUserInvite',
      caller,
      requestId,
      targets: [userTarget(current)],
      detail: { InviteExpiresTS: updated.InviteExpiresTS },
      steps: [this.userUpdateStep(current, updated)],
      undo: [this.updateUserItem(updated, current)],
      effects: [{ run: () => this.directory.resendInvitation({ username, email: current.Email }) }],
    });
    return updated;
  }

  // ---- UpdateUserPassword --------------------------------------------------------------

  private async resetPasswordAttempt(
    session: Session,
    caller: Caller,
    userId: string,
    requestId: string,
  ): Promise<UserRecord> {
    const current = await getLiveUser(this.db, userId);
    if (!isLocalUser(current)) {
      throw new InvalidStateError(
        `User ${current.Id} is federated (AuthOrigin ${current.AuthOrigin}): their password is kept by their identity provider`,
      );
    }
    if (current.Status === 'INVITED') {
      throw new InvalidStateError(
        `User ${current.Id} is INVITED and has no password yet: re-send the invitation (PUT /20190206/idam/user/resend-invite/${current.Id})`,
      );
    }
    if (current.Status === 'DISABLED') {
      throw new InvalidStateError(
        `User ${current.Id} is DISABLED: re-activate the user before resetting the password`,
      );
    }
    // The reset is recorded on the user (and moves its version on): a concurrent change of the
    // user, a delete say, is then seen, and the item tells when the password was last reset.
    const updated: UserRecord = {
      ...current,
      PasswordResetTS: this.clock.now().toISOString(),
      Version: current.Version + 1,
    };
    const username = cognitoUsernameOf(current) ?? current.Id;
    await this.apply(session, {
      type: 'teams.UpdateUserPassword',
      caller,
      requestId,
      targets: [userTarget(current)],
      steps: [this.userUpdateStep(current, updated)],
      undo: [this.updateUserItem(updated, current)],
      effects: [{ run: () => this.directory.resetPassword({ username, email: current.Email }) }],
    });
    return updated;
  }

  // ---- DeleteUser ----------------------------------------------------------------------

  private async deleteUserAttempt(
    session: Session,
    caller: Caller,
    userId: string,
    requestId: string,
  ): Promise<UserRecord> {
    const current = await getLiveUser(this.db, userId);
    const memberships = await this.membershipsOf(current.Id);
    const now = this.clock.now().toISOString();
    const deleted: UserRecord = {
      ...current,
      Status: 'DELETED',
      DeletedTS: now,
      ModifiedTS: now,
      Version: current.Version + 1,
    };
    const steps: Step[] = [
      this.userUpdateStep(current, deleted),
      { item: this.deleteGuard(current.Email, current.Id) },
      ...memberships.map((membership) => ({ item: this.deleteItem(keyOf(membership)) })),
    ];
    const undo: TransactItem[] = [
      this.updateUserItem(deleted, current),
      this.putGuard(current.Email, current.Id),
      ...memberships.map((membership) => ({ Put: { TableName: this.db.tableName, Item: membership } })),
    ];
    const username = cognitoUsernameOf(current);
    await this.apply(session, {
      type: 'teams.DeleteUser',
      caller,
      requestId,
      targets: [userTarget(current)],
      detail: {
        RemovedFromGroups: memberships.map((membership) => String(membership.PK).slice('GROUP#'.length)),
      },
      steps,
      undo,
      effects: username === undefined ? [] : [{ run: () => this.directory.deleteUser(username) }],
    });
    return deleted;
  }

  // ---- the change pipeline -------------------------------------------------------------

  /**
   * Runs the attempts of one request. A concurrent change (a failed `Version` condition or a
   * transaction conflict) is read again and re-planned, up to MAX_ATTEMPTS, when `retry`;
   * every other error ends the request. Once the intent event is written, an error that ends
   * the request is followed by a FAILURE event.
   */
  private async run<T>(retry: boolean, attempt: (session: Session) => Promise<T>): Promise<T> {
    const session: Session = {};
    for (let attempts = 1; ; attempts++) {
      try {
        return await attempt(session);
      } catch (error) {
        if (retry && error instanceof ConcurrentModificationError && attempts < MAX_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, 10 * attempts + Math.random() * 20 * attempts));
          continue;
        }
        if (session.intent && session.change)
          await this.auditFailure(session.change, session.intent.eventId, error);
        throw error;
      }
    }
  }

  /** The intent event (once per request), the transaction(s), then the directory; undone should the directory fail. */
  /** The conditional update of a user item from `current` to `updated`; a lost race is a concurrent change. */
  private userUpdateStep(current: UserRecord, updated: UserRecord): Step {
    return {
      item: this.updateUserItem(current, updated),
      onConditionFailed: () => changedMeanwhile(current.Id),
    };
  }

  private async apply(session: Session, change: Change): Promise<void> {
    session.change = change;
    if (!session.intent) {
      const event = auditEvent({
        type: change.type,
        actor: change.caller,
        targets: change.targets,
        outcome: 'SUCCESS',
        requestId: change.requestId,
        time: this.clock.now(),
        ...(change.detail && { detail: change.detail }),
      });
      // No audit event, no change: an AuditWriteError ends the request here, before any write.
      await this.audit.write(event);
      session.intent = event;
    }

    const chunks: Step[][] = [];
    for (let start = 0; start < change.steps.length; start += TRANSACTION_LIMIT) {
      chunks.push(change.steps.slice(start, start + TRANSACTION_LIMIT));
    }
    for (const [index, chunk] of chunks.entries()) {
      try {
        await this.db.doc.send(new TransactWriteCommand({ TransactItems: chunk.map((step) => step.item) }));
      } catch (error) {
        // Later chunks only remove memberships: undo what the first ones did.
        if (index > 0) await this.undoWrites(change);
        throw transactionFailure(error, chunk);
      }
    }

    const done: Effect[] = [];
    try {
      for (const effect of change.effects) {
        await effect.run();
        done.push(effect);
      }
    } catch (error) {
      for (const effect of done.reverse()) {
        await this.bestEffort('undo a user directory change', () => effect.undo?.() ?? Promise.resolve());
      }
      await this.undoWrites(change);
      throw error;
    }
  }

  private async undoWrites(change: Change): Promise<void> {
    for (let start = 0; start < change.undo.length; start += TRANSACTION_LIMIT) {
      const items = change.undo.slice(start, start + TRANSACTION_LIMIT);
      await this.bestEffort('undo the table writes', () =>
        this.db.doc.send(new TransactWriteCommand({ TransactItems: items })).then(() => undefined),
      );
    }
  }

  private async auditFailure(change: Change, supersedes: string, error: unknown): Promise<void> {
    const event = auditEvent({
      type: change.type,
      actor: change.caller,
      targets: change.targets,
      outcome: 'FAILURE',
      requestId: change.requestId,
      time: this.clock.now(),
      detail: {
        Supersedes: supersedes,
        Reason: error instanceof DomainError ? error.code : 'InternalError',
      },
    });
    await this.bestEffort('write the FAILURE audit event', () => this.audit.write(event));
  }

  private async bestEffort(what: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.log.error(`could not ${what}`, errorFields(error));
    }
  }

  // ---- items ---------------------------------------------------------------------------

  private async assertEmailFree(email: string): Promise<void> {
    const { Item: guard } = await this.db.doc.send(
      new GetCommand({
        TableName: this.db.tableName,
        Key: emailGuardKey(email),
        ConsistentRead: true,
      }),
    );
    if (guard) throw emailTaken(email);
  }

  private async membershipsOf(userId: string): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.doc.send(
        new QueryCommand({
          TableName: this.db.tableName,
          IndexName: 'GSI2',
          KeyConditionExpression: 'GSI2PK = :user',
          ExpressionAttributeValues: { ':user': `${ENTITY.user}#${userId}` },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []).filter((item) => String(item.SK).startsWith('MEMBER#')));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /**
   * Writes the attributes that differ between `from` and `to`, if the item is still at
   * `from.Version`. Also undoes a change (from the new record back to the old one, version
   * included): the item is then exactly as it was, and anyone who read the new one is refused.
   */
  private updateUserItem(from: UserRecord, to: UserRecord): TransactItem {
    return {
      Update: {
        TableName: this.db.tableName,
        Key: userKey(from.Id),
        ...conditionalUpdate(userItem(from), userItem(to), from.Version),
      },
    };
  }

  private deleteItem(key: { PK: string; SK: string }): TransactItem {
    return { Delete: { TableName: this.db.tableName, Key: key } };
  }

  /** Releases an email guard held by `userId` (a guard already gone is fine). */
  private deleteGuard(email: string, userId: string): TransactItem {
    return {
      Delete: {
        TableName: this.db.tableName,
        Key: emailGuardKey(email),
        ConditionExpression: 'attribute_not_exists(PK) OR UserId = :user',
        ExpressionAttributeValues: { ':user': userId },
      },
    };
  }

  private putGuard(email: string, userId: string): TransactItem {
    return {
      Put: {
        TableName: this.db.tableName,
        Item: { ...emailGuardKey(email), UserId: userId },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    };
  }
}

function userTarget(user: UserRecord): AuditTarget {
  return { type: 'user', id: user.Id, name: user.Email };
}

function emailTaken(email: string): ConflictError {
  return new ConflictError(
    `Email ${JSON.stringify(email)} already belongs to a user: use another address, or update that user`,
  );
}

function changedMeanwhile(id: string): ConcurrentModificationError {
  return new ConcurrentModificationError('User', id);
}

function keyOf(item: Item): { PK: string; SK: string } {
  return { PK: String(item.PK), SK: String(item.SK) };
}

/**
 * `SET`/`REMOVE` for every attribute whose value differs between `from` and `to`, on
 * condition that the item is still at `version` (an item written before versions existed
 * has none: version 0).
 */
function conditionalUpdate(from: Item, to: Item, version: number) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const set: string[] = [];
  const remove: string[] = [];
  let index = 0;
  for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
    if (key === 'PK' || key === 'SK') continue;
    const after = to[key];
    if (JSON.stringify(from[key]) === JSON.stringify(after)) continue;
    const name = `#a${index}`;
    names[name] = key;
    if (after === undefined) remove.push(name);
    else {
      values[`:v${index}`] = after;
      set.push(`${name} = :v${index}`);
    }
    index++;
  }
  names['#version'] = 'Version';
  values[':expectedVersion'] = version;
  const condition =
    version === 0
      ? 'attribute_exists(PK) AND (attribute_not_exists(#version) OR #version = :expectedVersion)'
      : '#version = :expectedVersion';
  const clauses = [
    ...(set.length > 0 ? [`SET ${set.join(', ')}`] : []),
    ...(remove.length > 0 ? [`REMOVE ${remove.join(', ')}`] : []),
  ];
  return {
    UpdateExpression: clauses.join(' '),
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** What a failed transaction means to the caller: the domain error of the step whose condition failed. */
function transactionFailure(error: unknown, steps: readonly Step[]): unknown {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return error;
  const reasons =
    (error as Error & { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
  for (const [index, reason] of reasons.entries()) {
    if (reason.Code !== 'ConditionalCheckFailed' && reason.Code !== 'TransactionConflict') continue;
    const mapped = steps[index]?.onConditionFailed?.();
    if (mapped) return mapped;
  }
  return error;
}

let shared: UserService | undefined;

/** The service wired from the function's environment, built on first use. */
export function userServiceFromEnv(env: NodeJS.ProcessEnv = process.env): UserService {
  shared ??= new UserService({
    db: dbFromEnv(env),
    clock: systemClock,
    directory: directoryFromEnv(env),
    audit: outboxAuditSinkFromEnv(env),
    organisationId: organisationIdFromEnv(env),
  });
  return shared;
}
