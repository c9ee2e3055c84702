/**
 * SCIM 2.0 filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2): parse, print, evaluate in
 * memory, and plan the DynamoDB Query for indexed equalities.
 */
export { type IndexedLookup, indexedLookup } from './indexed-lookup';
export { isCaseExactByDefault, matchesScimFilter } from './match';
export { parsePatchPath, parseScimFilter } from './parser';
export { printAttributePath, printScimFilter } from './printer';
export {
  type AttributePath,
  type CompareOp,
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  type PatchPath,
  type ScimFilter,
  ScimFilterError,
} from './types';
