import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_POLICY_FILE,
  diffPolicies,
  effectivePolicy,
  formatPolicyFile,
  parsePolicyFile,
  PolicyFileError,
  policyJsonSchema,
  policyPathKeys,
  setPolicyField,
  validatePolicyDocument,
} from '@lockstep/contracts';

const examplePath = join(__dirname, '../../../deploy/lockstep-policy.example.yaml');
const example = readFileSync(examplePath, 'utf8');

function problemsOf(text: string): string[] {
  try {
    parsePolicyFile(text);
  } catch (e) {
    if (e instanceof PolicyFileError) return e.problems;
    throw e;
  }
  throw new Error('expected the file to be refused');
}

describe('policy file', () => {
  it('parses the example file in deploy/', () => {
    const file = parsePolicyFile(example);

    expect(file.defaults.classes.major).toBe('approval');
    expect(Object.keys(file.components)).toEqual(['api', 'edge-cache']);
  });

  it('merges a component over the defaults, nested objects field by field', () => {
    const file = parsePolicyFile(example);

    const api = effectivePolicy(file, 'api');

    expect(api.classes).toEqual({ ...file.defaults.classes, minor: 'approval' });
    expect(api.strategy).toEqual({ ...file.defaults.strategy, maxParallel: 1 });
    expect(effectivePolicy(file, 'unknown')).toEqual(file.defaults);
    expect(effectivePolicy(file, 'constructor')).toEqual(file.defaults);
  });

  it('formats stably: format(parse(format(x))) === format(x), components sorted', () => {
    const file = parsePolicyFile(example);
    const reordered = {
      ...file,
      components: { 'edge-cache': file.components['edge-cache'], api: file.components.api },
    };

    const text = formatPolicyFile(reordered);

    expect(formatPolicyFile(parsePolicyFile(text))).toBe(text);
    expect(text.indexOf('  api:')).toBeLessThan(text.indexOf('  edge-cache:'));
    expect(text.startsWith('apiVersion: lockstep/v1\nkind: UpdatePolicy\n')).toBe(true);
  });

  it.each([
    ['a YAML syntax error', example.replace('channel: stable', 'channel: [stable'), /^line \d+: /],
    [
      'an unknown action',
      example.replace('major: approval', 'major: later'),
      /^line 10: defaults\.classes\.major: .*"immediate"/,
    ],
    [
      'a duration without a unit',
      example.replace('healthyDeadline: 5m', 'healthyDeadline: 5 min'),
      /^line 19: defaults\.strategy\.healthyDeadline: expected a duration with a unit/,
    ],
    [
      'a bare number as duration',
      example.replace('minimumReleaseAge: 3d', 'minimumReleaseAge: 3'),
      /^line 13: defaults\.minimumReleaseAge: expected a duration with a unit/,
    ],
    [
      'an unknown field in a component',
      example.replace('  api:\n', '  api:\n    colour: red\n'),
      /^line 26: components\.api: unknown field "colour"; allowed fields: classes, channel, minimumReleaseAge/,
    ],
    [
      'an unknown strategy field',
      example.replace('    autoRollback: true\n', '    autoRollback: true\n    surge: 2\n'),
      /^line 22: defaults\.strategy: unknown field "surge"; allowed fields: maxParallel, canary, minHealthy, healthyDeadline, failureBudget, autoRollback$/,
    ],
    [
      'a missing class in the defaults',
      example.replace('    prerelease: never\n', ''),
      /^line 6: defaults\.classes\.prerelease: /,
    ],
    ['a wrong apiVersion', example.replace('lockstep/v1', 'lockstep/v2'), /^line 2: apiVersion: .*lockstep\/v1/],
  ])('refuses %s, naming the line and path', (_name, text, expected) => {
    const problems = problemsOf(text);

    expect(problems[0]).toMatch(expected);
  });

  it('says what to do next in the error message', () => {
    expect(() => parsePolicyFile('kind: UpdatePolicy')).toThrow(/fix these and apply it again/);
  });

  it('publishes a JSON Schema that names the actions and refuses unknown fields', () => {
    const schema = policyJsonSchema();

    const text = JSON.stringify(schema);
    expect(text).toContain('"next-window"');
    expect(text).toContain('"additionalProperties":false');
    expect(text).toContain('"pattern":"^\\\\d+(\\\\.\\\\d+)?(ms|s|m|h|d)$"');
    expect(schema.required).toEqual(['apiVersion', 'kind', 'defaults']);
  });

  it('matches the schema published in deploy/ (regenerate it from policyJsonSchema() when the contract changes)', () => {
    const published: unknown = JSON.parse(
      readFileSync(join(__dirname, '../../../deploy/lockstep-policy.schema.json'), 'utf8'),
    );

    expect(published).toEqual(policyJsonSchema());
  });

  it('diffs two files leaf by leaf, including added and removed components', () => {
    const inForce = parsePolicyFile(example);
    const next = parsePolicyFile(
      example
        .replace('major: approval', 'major: never')
        .replace('bypassMinimumAgeFor: [security, hotfix]', 'bypassMinimumAgeFor: [security]')
        .replace(
          '  edge-cache:\n    channel: beta\n    minimumReleaseAge: 1d\n    backupBefore: false\n',
          '  db:\n    backupBefore: true\n',
        ),
    );

    const changes = diffPolicies(inForce, next);

    expect(changes).toEqual([
      { path: 'components.db', from: undefined, to: { backupBefore: true } },
      {
        path: 'components.edge-cache',
        from: { channel: 'beta', minimumReleaseAge: '1d', backupBefore: false },
        to: undefined,
      },
      { path: 'defaults.bypassMinimumAgeFor', from: ['security', 'hotfix'], to: ['security'] },
      { path: 'defaults.classes.major', from: 'approval', to: 'never' },
    ]);
    expect(diffPolicies(inForce, inForce)).toEqual([]);
  });
});

describe('policy defaults and single fields', () => {
  it('has a built-in default that validates and installs nothing on its own', () => {
    const sut = validatePolicyDocument(DEFAULT_POLICY_FILE);

    expect(new Set(Object.values(sut.defaults.classes))).toEqual(new Set(['never']));
    expect(sut.components).toEqual({});
  });

  it('refuses a JSON document naming each field, without lines', () => {
    const bad = { ...DEFAULT_POLICY_FILE, defaults: { ...DEFAULT_POLICY_FILE.defaults, channel: 'nightly' } };

    expect(() => validatePolicyDocument(bad)).toThrow(/defaults\.channel: /);
  });

  it.each([
    ['defaults.classes.patch', ['defaults', 'classes', 'patch']],
    ['components.api.minimumReleaseAge', ['components', 'api', 'minimumReleaseAge']],
    ['components.api.classes.minor', ['components', 'api', 'classes', 'minor']],
    ['components.edge.cache.strategy.canary', ['components', 'edge.cache', 'strategy', 'canary']],
    ['components.api', ['components', 'api']],
  ])('splits %s into its keys (component names may hold dots)', (path, keys) => {
    expect(policyPathKeys(path)).toEqual(keys);
  });

  it('sets a field of a component with no overrides yet, leaving the file it was given alone', () => {
    const sut = setPolicyField(DEFAULT_POLICY_FILE, 'components.api.classes.minor', 'approval');

    expect(validatePolicyDocument(sut).components).toEqual({ api: { classes: { minor: 'approval' } } });
    expect(DEFAULT_POLICY_FILE.components).toEqual({});
  });

  it('removes a field with null', () => {
    const withApi = validatePolicyDocument(setPolicyField(DEFAULT_POLICY_FILE, 'components.api.channel', 'beta'));

    const sut = setPolicyField(withApi, 'components.api', null);

    expect(validatePolicyDocument(sut).components).toEqual({});
  });

  it('refuses a path through a value that is not an object', () => {
    expect(() => setPolicyField(DEFAULT_POLICY_FILE, 'defaults.channel.x', 1)).toThrow(
      /defaults\.channel: is not an object/,
    );
  });
});
