import { z } from 'zod';
import { formatIssue, formatIssues, issueMessages, issuePath } from './validation';

const Body = z.strictObject({
  name: z.string().min(1, 'must not be empty'),
  target: z.strictObject({ url: z.url({ message: 'must be an absolute URL' }) }),
  tags: z.array(z.string()).optional(),
});

const issuesOf = (value: unknown, schema: z.ZodType = Body) => {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error('expected the value to be invalid');
  return parsed.error;
};

describe(formatIssues.name, () => {
  it('names each path and what it must be, joined in one sentence', () => {
    const error = issuesOf({ name: '', target: { url: 'nope' }, tags: [1] });

    const sut = formatIssues(error);

    expect(sut).toBe(
      'name: must not be empty; target.url: must be an absolute URL; tags.0: Invalid input: expected string, received number',
    );
  });

  it.each([
    ['one unknown field', { name: 'a', target: { url: 'https://x.test/' }, extra: 1 }, 'unknown field "extra"'],
    ['two unknown fields', { name: 'a', target: { url: 'https://x.test/' }, a: 1, b: 2 }, 'unknown fields "a", "b"'],
    [
      'an unknown nested field',
      { name: 'a', target: { url: 'https://x.test/', token: 'x' } },
      'target: unknown field "token"',
    ],
  ])('words %s without echoing its value', (_, value, message) => {
    const sut = formatIssues(issuesOf(value));

    expect(sut).toBe(message);
  });

  it('lists the allowed fields of a top-level unknown field when given the schema', () => {
    const error = issuesOf({ name: 'a', target: { url: 'https://x.test/' }, extra: 1 });

    const sut = formatIssues(error, { schema: Body });

    expect(sut).toBe('unknown field "extra"; allowed fields: name, target, tags');
  });

  it('names the value itself (root) when it is not an object at all', () => {
    const sut = formatIssues(issuesOf('text'));

    expect(sut).toBe('(root): Invalid input: expected object, received string');
  });

  it('lets the caller say what is expected at a path', () => {
    const error = issuesOf({ PORT: 'abc' }, z.object({ PORT: z.coerce.number().int() }));

    const sut = formatIssues(error, { expected: (_, path) => `expected a TCP port (got ${path})` });

    expect(sut).toBe('PORT: expected a TCP port (got PORT)');
  });
});

describe(issueMessages.name, () => {
  it('keeps one message per issue for callers that list them', () => {
    const sut = issueMessages(issuesOf({ name: '', target: { url: 'nope' } }));

    expect(sut).toEqual(['name: must not be empty', 'target.url: must be an absolute URL']);
  });
});

describe(formatIssue.name, () => {
  it('words a single issue like formatIssues does', () => {
    const [first] = issuesOf({ name: '', target: { url: 'https://x.test/' } }).issues;

    const sut = formatIssue(first);

    expect(sut).toBe('name: must not be empty');
    expect(issuePath(first)).toBe('name');
  });
});
