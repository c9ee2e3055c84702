/**
 * The SCIM 2.0 filter AST (RFC 7644 §3.4.2.2) shared by the parser, the printer, the
 * in-memory matcher and the index planner. Attribute names are kept as the client wrote
 * them; every consumer compares them case-insensitively, as the RFC requires.
 */

/** `[schema ":"] attribute ["." subAttribute]`, e.g. `name.familyName` or an enterprise-extension URN path. */
export interface AttributePath {
  readonly schema?: string;
  readonly attribute: string;
  readonly subAttribute?: string;
}

/** The comparison operators of RFC 7644 §3.4.2.2, always lower case in the AST. */
export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

/** A parsed filter. `valuePath` (`emails[type eq "work"]`) holds a filter whose paths are relative to `path`. */
export type ScimFilter =
  | {
      readonly kind: 'compare';
      readonly path: AttributePath;
      readonly op: CompareOp;
      readonly value: string | number | boolean | null;
    }
  | { readonly kind: 'present'; readonly path: AttributePath }
  | { readonly kind: 'and' | 'or'; readonly left: ScimFilter; readonly right: ScimFilter }
  | { readonly kind: 'not'; readonly filter: ScimFilter }
  | { readonly kind: 'valuePath'; readonly path: AttributePath; readonly filter: ScimFilter };

/** A PATCH operation's target (RFC 7644 §3.5.2 `PATH`): `emails[type eq "work"].value` → path, filter, subAttribute. */
export interface PatchPath {
  readonly path: AttributePath;
  readonly filter?: ScimFilter;
  readonly subAttribute?: string;
}

/**
 * A filter or PATCH path the caller must fix. `scimType` and `detail` go straight into the
 * RFC 7644 §3.12 error body, so `detail` names the position and what was expected there.
 */
export class ScimFilterError extends Error {
  constructor(
    readonly scimType: 'invalidFilter' | 'invalidPath',
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'ScimFilterError';
  }
}

/** Longest filter or path accepted; longer input is refused before any parsing work. */
export const MAX_FILTER_LENGTH = 4096;

/** Deepest nesting of `(`, `not (` and `[` accepted, so a hostile filter can never overflow the stack. */
export const MAX_FILTER_DEPTH = 50;
