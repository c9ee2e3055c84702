/**
 * The names under which the authorizer hands the resolved caller to the handlers
 * (`requestContext.authorizer`). A module of its own, so the authorizer can share it
 * without bundling the API pipeline.
 */
export const CALLER_CONTEXT = { kind: 'callerKind', id: 'callerId', role: 'callerRole' } as const;
