/** How several required roles or scopes combine: any one suffices (default), or all are needed. */
export type MatchMode = 'any' | 'all';

/** What a handler or controller requires, as `@Roles()` / `@Scopes()` record it. */
export interface AccessRequirement {
  values: string[];
  match: MatchMode;
}

/** The object form of `@Roles()` and `@Scopes()`, as nest-keycloak-connect's `{ roles, mode }`. */
export interface AccessRequirementInput {
  roles?: string[];
  scopes?: string[];
  /** Default `any`. nest-keycloak-connect's `RoleMatchingMode.ALL` / `ANY` strings are accepted too. */
  mode?: MatchMode | 'ALL' | 'ANY';
  match?: MatchMode;
}

function matchMode(input: AccessRequirementInput): MatchMode {
  const mode = input.match ?? input.mode ?? 'any';
  if (mode === 'all' || mode === 'ALL') return 'all';
  if (mode === 'any' || mode === 'ANY') return 'any';
  throw new TypeError(`match must be "any" or "all", got ${JSON.stringify(mode)}`);
}

/**
 * The requirement a decorator was given: a list of names (any-of), or the object form. Checked
 * when the decorator is applied, so a typo fails at class definition, not at the first request.
 */
export function toRequirement(kind: 'roles' | 'scopes', args: ReadonlyArray<string | AccessRequirementInput>): AccessRequirement {
  const [first] = args;
  const object = args.length === 1 && typeof first === 'object' && first !== null ? first : undefined;
  const values = object !== undefined ? object[kind] ?? [] : args;
  if (values.length === 0 || values.some((value) => typeof value !== 'string' || value.trim() === '')) {
    throw new TypeError(`@${kind === 'roles' ? 'Roles' : 'Scopes'}() needs one or more non-empty names`);
  }
  return { values: [...(values as string[])], match: object !== undefined ? matchMode(object) : 'any' };
}
