/** Terse AST builders for the filter tests, so expected trees read like the filter text. */
import type { AttributePath, CompareOp, ScimFilter } from '@/lambdas/scim/filter';

/** `name.familyName` → `{ attribute: 'name', subAttribute: 'familyName' }`; `schema` is prepended as written. */
export function path(text: string, schema?: string): AttributePath {
  const [attribute = '', subAttribute] = text.split('.');
  return {
    ...(schema === undefined ? {} : { schema }),
    attribute,
    ...(subAttribute === undefined ? {} : { subAttribute }),
  };
}

export function compare(
  attribute: string,
  op: CompareOp,
  value: string | number | boolean | null,
): ScimFilter {
  return { kind: 'compare', path: path(attribute), op, value };
}

export function present(attribute: string): ScimFilter {
  return { kind: 'present', path: path(attribute) };
}

export function and(left: ScimFilter, right: ScimFilter): ScimFilter {
  return { kind: 'and', left, right };
}

export function or(left: ScimFilter, right: ScimFilter): ScimFilter {
  return { kind: 'or', left, right };
}

export function not(filter: ScimFilter): ScimFilter {
  return { kind: 'not', filter };
}

export function valuePath(attribute: string, filter: ScimFilter): ScimFilter {
  return { kind: 'valuePath', path: path(attribute), filter };
}
