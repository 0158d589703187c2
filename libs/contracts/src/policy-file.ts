import { isDeepStrictEqual } from 'node:util';
import { LineCounter, parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import { CodedError } from './coded-error';
import { PolicyFileV1 } from './policies';
import { formatIssue, type ValidationIssue } from './validation';

export const PolicyFileErrorCodes = { INVALID: 'POLICY_FILE_INVALID' } as const;

/** A policy file that is not YAML or not a valid policy; `problems` lists each as `line N: path: what`. */
export class PolicyFileError extends CodedError<typeof PolicyFileErrorCodes.INVALID> {
  override readonly name = 'PolicyFileError';
  constructor(readonly problems: string[]) {
    super(
      PolicyFileErrorCodes.INVALID,
      `the policy file is not valid; fix these and apply it again:\n  ${problems.join('\n  ')}`,
    );
  }
}

/**
 * Parses and validates a policy file. YAML syntax errors and schema problems are both
 * reported with the line they are on, and schema problems with their path and what is allowed.
 */
export function parsePolicyFile(text: string): PolicyFileV1 {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number): number => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    throw new PolicyFileError(doc.errors.map((e) => `line ${lineOf(e.pos[0])}: ${e.message.split('\n')[0]}`));
  }
  const parsed = PolicyFileV1.safeParse(doc.toJS());
  if (parsed.success) return parsed.data;
  throw new PolicyFileError(
    parsed.error.issues.map((issue) => {
      // An unknown field points at itself, not at the object holding it.
      const at = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
      const node = nearestNode(doc, at);
      const where = node?.range ? `line ${lineOf(node.range[0])}: ` : '';
      return where + formatIssue(issue, { schema: PolicyFileV1 }) + allowedFieldsHint(issue);
    }),
  );
}

/**
 * Validates a policy given as a value (JSON) rather than YAML text: the same problems as
 * {@link parsePolicyFile}, each with its path and what is allowed, without line numbers.
 */
export function validatePolicyDocument(value: unknown): PolicyFileV1 {
  const parsed = PolicyFileV1.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new PolicyFileError(
    parsed.error.issues.map((issue) => formatIssue(issue, { schema: PolicyFileV1 }) + allowedFieldsHint(issue)),
  );
}

/** A field `lockstep policy set` may name: `defaults.<field>[.<sub>]` or `components.<name>.<field>[.<sub>]`. */
export const PolicyFieldPath = z
  .string()
  .regex(/^(defaults|components)(\.[A-Za-z0-9_-]+)+$/, {
    message: 'expected a dotted field path such as defaults.classes.patch or components.api.minimumReleaseAge',
  })
  .describe('the field to set, e.g. defaults.classes.patch or components.api.minimumReleaseAge');

/** Fields of a policy that hold fields of their own (a path goes one level deeper through them). */
const NESTED_FIELDS = new Set(['classes', 'strategy']);

/**
 * `path` split into keys. A component name may hold dots (`edge.cache`), so under `components`
 * the name is everything between `components.` and the field (`classes.minor` or `strategy.x`
 * count as one field); a path of `components.<name>` names the component's whole override.
 */
export function policyPathKeys(path: string): string[] {
  const keys = path.split('.');
  if (keys[0] !== 'components' || keys.length <= 2) return keys;
  const nested = keys.length >= 4 && NESTED_FIELDS.has(keys[keys.length - 2]);
  const fieldKeys = nested ? 2 : 1;
  if (keys.length - 1 - fieldKeys < 1) return ['components', keys.slice(1).join('.')];
  return ['components', keys.slice(1, keys.length - fieldKeys).join('.'), ...keys.slice(keys.length - fieldKeys)];
}

/**
 * A copy of `file` (as a plain value, not yet validated) with the field at `path` set to
 * `value`; `null` removes the field (a component's override, or a whole component). Objects
 * missing on the way (a component with no overrides yet) are created. Throws a
 * {@link PolicyFileError} when the path runs through something that is not an object.
 */
export function setPolicyField(file: PolicyFileV1, path: string, value: unknown): unknown {
  const copy = structuredClone(file) as unknown as Record<string, unknown>;
  const keys = policyPathKeys(path);
  let at: Record<string, unknown> = copy;
  for (const [i, key] of keys.slice(0, -1).entries()) {
    const next = at[key] ?? (value === null ? undefined : (at[key] = {}));
    if (next === undefined) return copy;
    if (!isPlainObject(next))
      throw new PolicyFileError([`${keys.slice(0, i + 1).join('.')}: is not an object, so ${path} cannot be set`]);
    at = next;
  }
  const last = keys[keys.length - 1];
  if (value === null) delete at[last];
  else at[last] = value;
  return copy;
}

/** For an unknown field below the top level, the fields allowed there (formatIssue names them only at the top). */
function allowedFieldsHint(issue: ValidationIssue): string {
  if (issue.code !== 'unrecognized_keys' || issue.path.length === 0) return '';
  let schema: z.ZodType | undefined = PolicyFileV1;
  for (const key of issue.path) {
    while (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, z.ZodType>)[String(key)];
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.ZodType;
    else return '';
  }
  while (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
  return schema instanceof z.ZodObject ? `; allowed fields: ${Object.keys(schema.shape).join(', ')}` : '';
}

/** The node at `path`, or at its nearest ancestor that exists (a missing field points at its parent). */
function nearestNode(
  doc: ReturnType<typeof parseDocument>,
  path: readonly PropertyKey[],
): { range?: [number, number, number] | null } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (node && typeof node === 'object' && 'range' in node) return node as { range?: [number, number, number] };
  }
  return undefined;
}

/** The policy file as YAML, keys in schema order, components sorted by name: what `policy get` prints. */
export function formatPolicyFile(file: PolicyFileV1): string {
  const canonical = PolicyFileV1.parse(file);
  const components = Object.fromEntries(
    Object.keys(canonical.components)
      .sort()
      .map((name) => [name, canonical.components[name]]),
  );
  return stringify({ ...canonical, components }, { lineWidth: 0 });
}

/** The JSON Schema of the policy file (draft 2020-12), for editors and `policy apply`'s published schema. */
export function policyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PolicyFileV1, { io: 'input' });
}

/** One difference between two policy files; `from`/`to` are undefined where the field is absent. */
export interface PolicyChange {
  /** Dotted path, e.g. `components.api.classes.major`. */
  path: string;
  from: unknown;
  to: unknown;
}

/** What applying `next` changes in `inForce`, leaf by leaf, in path order. Arrays compare as a whole. */
export function diffPolicies(inForce: PolicyFileV1, next: PolicyFileV1): PolicyChange[] {
  const changes: PolicyChange[] = [];
  walk(inForce, next, [], changes);
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function walk(from: unknown, to: unknown, path: string[], out: PolicyChange[]): void {
  if (isPlainObject(from) && isPlainObject(to)) {
    for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
      walk(from[key], to[key], [...path, key], out);
    }
    return;
  }
  if (!isDeepStrictEqual(from, to)) out.push({ path: path.join('.'), from, to });
}
