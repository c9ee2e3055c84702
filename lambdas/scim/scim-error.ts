/**
 * SCIM errors (RFC 7644 §3.12): the body identity providers show their administrators, so
 * `detail` always says what to fix. Thrown by SCIM domain code; the SCIM pipeline
 * (scim-api.ts) is the one place they become responses.
 */

/** The `scimType` values RFC 7644 defines for 400 and 409 responses. */
export type ScimType =
  | 'invalidFilter'
  | 'invalidPath'
  | 'invalidSyntax'
  | 'invalidValue'
  | 'invalidVers'
  | 'mutability'
  | 'noTarget'
  | 'sensitive'
  | 'tooMany'
  | 'uniqueness';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** A refused SCIM request: its HTTP status, `scimType` (400 and 409 only) and what to fix. */
export class ScimError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 412 | 413 | 500 | 503,
    readonly detail: string,
    readonly scimType?: ScimType,
  ) {
    super(detail);
    this.name = 'ScimError';
  }
}

/** 400 with a scimType: the request must be changed before it is sent again. */
export function badRequest(scimType: ScimType, detail: string): ScimError {
  return new ScimError(400, detail, scimType);
}

/** The RFC 7644 §3.12 error body; `status` is a string, as the RFC's examples send it. */
export function scimErrorBody(error: ScimError) {
  return {
    schemas: [SCIM_ERROR_SCHEMA],
    status: String(error.status),
    ...(error.scimType && { scimType: error.scimType }),
    detail: error.detail,
  };
}
