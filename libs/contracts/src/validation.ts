import { z } from 'zod';

/** One problem a zod schema found in a value. */
export type ValidationIssue = z.core.$ZodIssue;

/** How formatIssue words an issue. */
export interface FormatIssuesOptions {
  /** The schema that was parsed: an unknown top-level field then lists the fields it allows. */
  schema?: z.ZodType;
  /** What the value at `path` must be, instead of the issue's message (e.g. with the value received added). */
  expected?: (issue: ValidationIssue, path: string) => string;
}

/** Where in the value an issue is, e.g. `target.url` or `items.0`; `(root)` for the value itself. */
export const issuePath = (issue: ValidationIssue): string => issue.path.join('.') || '(root)';

/**
 * One issue as `path: what it must be`. Unknown fields read `unknown field "x"`, at the top
 * level followed by the fields the schema allows (when it is an object schema).
 */
export function formatIssue(issue: ValidationIssue, options: FormatIssuesOptions = {}): string {
  const path = issuePath(issue);
  if (issue.code === 'unrecognized_keys') {
    const unknown = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    if (issue.path.length > 0) return `${path}: ${unknown}`;
    const { schema } = options;
    return schema instanceof z.ZodObject
      ? `${unknown}; allowed fields: ${Object.keys(schema.shape).join(', ')}`
      : unknown;
  }
  return `${path}: ${options.expected ? options.expected(issue, path) : issue.message}`;
}

/** Every issue of a failed parse, each worded by formatIssue, in zod's order. */
export function issueMessages(
  error: { readonly issues: readonly ValidationIssue[] },
  options: FormatIssuesOptions = {},
): string[] {
  return error.issues.map((issue) => formatIssue(issue, options));
}

/**
 * A failed parse as one human message naming each path and what it must be:
 * `url: must be an absolute https URL; eventTypes: Too small: expected array to have >=1 items`.
 */
export function formatIssues(
  error: { readonly issues: readonly ValidationIssue[] },
  options: FormatIssuesOptions = {},
): string {
  return issueMessages(error, options).join('; ');
}
