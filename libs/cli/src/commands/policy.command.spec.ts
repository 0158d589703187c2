import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_POLICY_FILE,
  formatPolicyFile,
  parsePolicyFile,
  type PolicyApplyResult,
  type PolicyFileV1,
  type PolicyView,
} from '@lockstep/contracts';
import { repoRoot } from '@lockstep/testing';
import { run } from '../program';
import { jsonResponse, problemResponse, recordingCli } from '../testing/fake-api';

/** `lockstep policy validate|schema` through `run`: offline, on files. */
describe('lockstep policy', () => {
  let dir: string;
  let out: string;
  let err: string;
  const lockstep = async (...argv: string[]) => {
    out = '';
    err = '';
    const code = await run(argv, { io: { stdout: (t) => void (out += t), stderr: (t) => void (err += t) }, env: {} });
    return { code, out, err };
  };
  const example = join(repoRoot(), 'deploy', 'lockstep-policy.example.yaml');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-policy-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a valid file in its stable form, and the same again when given that form', async () => {
    const first = await lockstep('policy', 'validate', '-f', example);
    const stable = join(dir, 'stable.yaml');
    writeFileSync(stable, first.out);

    const second = await lockstep('policy', 'validate', '-f', stable);

    expect(first).toMatchObject({ code: 0, err: '' });
    expect(second.out).toBe(first.out);
  });

  it('refuses a file with an unknown field, naming its line and what is allowed', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(example, 'utf8').replace(/^defaults:\n/m, 'defaults:\n  surge: 3\n'));

    const sut = await lockstep('policy', 'validate', '-f', bad);

    expect(sut.code).toBe(1);
    expect(sut.err).toMatch(
      /bad\.yaml is not a valid policy file:[\s\S]*line \d+: defaults: unknown field "surge"; allowed fields:/,
    );
  });

  it('prints the policy in force for a component as JSON', async () => {
    const sut = await lockstep('policy', 'validate', '-f', example, '--component', 'anything', '--json');

    expect(sut.code).toBe(0);
    expect(JSON.parse(sut.out)).toMatchObject({ classes: expect.any(Object), strategy: expect.any(Object) });
  });

  it('says when the file cannot be read', async () => {
    const sut = await lockstep('policy', 'validate', '-f', join(dir, 'missing.yaml'));

    expect(sut.code).toBe(2);
    expect(sut.err).toContain('cannot be read');
  });

  it('prints the JSON Schema that deploy/ publishes', async () => {
    const sut = await lockstep('policy', 'schema', '--json');

    expect(JSON.parse(sut.out)).toEqual(
      JSON.parse(readFileSync(join(repoRoot(), 'deploy', 'lockstep-policy.schema.json'), 'utf8')),
    );
  });
});

/** A policy in force as GET /v1/policy answers it. */
const policyView = (document: PolicyFileV1, revision: number): PolicyView => ({
  revision,
  appliedAt: revision ? '2026-01-01T00:00:00.000Z' : null,
  appliedBy: revision ? 'alice' : null,
  document,
  yaml: formatPolicyFile(document),
});

/** `lockstep policy apply|get|set` through `run`, against the fake API. */
describe('lockstep policy (against the API)', () => {
  const { lockstep, seen, reset } = recordingCli();
  const examplePath = join(repoRoot(), 'deploy', 'lockstep-policy.example.yaml');
  const example = readFileSync(examplePath, 'utf8');
  let dir: string;
  /** Answers GET /v1/policy with `inForce`, and PUT/PATCH with `result`. */
  const serve = (inForce: PolicyView, result?: PolicyApplyResult | Response) => {
    seen.answer = (req) =>
      req.method === 'GET'
        ? jsonResponse(200, inForce)
        : result instanceof Response
          ? result
          : jsonResponse(200, result);
  };
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  beforeEach(() => {
    reset();
    dir = mkdtempSync(join(tmpdir(), 'lockstep-policy-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a file with a mistake before asking the API, naming its line and field', async () => {
    const bad = write('bad.yaml', example.replace('    major: approval\n', '    major: later\n'));

    const code = await lockstep(['policy', 'apply', '-f', bad]);

    expect(code).toBe(1);
    expect(seen.err).toMatch(/bad\.yaml is not a valid policy file:[\s\S]*line 10: defaults\.classes\.major: /);
    expect(seen.sent).toEqual([]);
  });

  it('shows the difference with what is in force, then applies the file based on that revision', async () => {
    const applied = policyView(parsePolicyFile(example), 1);
    serve(policyView(DEFAULT_POLICY_FILE, 0), {
      changes: [{ path: 'defaults.minimumReleaseAge', from: '0s', to: '3d' }],
      applied: true,
      dryRun: false,
      policy: applied,
    });

    const code = await lockstep(['policy', 'apply', '-f', examplePath]);

    expect(code).toBe(0);
    expect(seen.out).toContain('in force: the built-in default (revision 0');
    expect(seen.out).toContain('  defaults.minimumReleaseAge: 0s → 3d\n');
    expect(seen.out).toContain('  defaults.classes.major: never → approval\n');
    expect(seen.out).toMatch(/applied: the policy in force is now revision 1 \(applied .* by alice\)/);
    expect(seen.sent.map((r) => r.method)).toEqual(['GET', 'PUT']);
    expect(seen.sent[1].body).toEqual({ yaml: example, expectedRevision: 0 });
  });

  it('with --dry-run only shows the difference', async () => {
    serve(policyView(DEFAULT_POLICY_FILE, 0));

    const code = await lockstep(['policy', 'apply', '-f', examplePath, '--dry-run', '--json']);

    expect(code).toBe(0);
    expect(JSON.parse(seen.out)).toMatchObject({ applied: false, dryRun: true, policy: { revision: 0 } });
    expect(JSON.parse(seen.out).changes).toContainEqual({ path: 'defaults.backupBefore', from: false, to: true });
    expect(seen.sent.map((r) => r.method)).toEqual(['GET']);
  });

  it('says the API refused a change based on a revision no longer in force', async () => {
    serve(
      policyView(DEFAULT_POLICY_FILE, 0),
      problemResponse(409, 'POLICY_REVISION_CONFLICT', 'the policy changed since revision 0: …; run the command again'),
    );

    const code = await lockstep(['policy', 'apply', '-f', examplePath]);

    expect(code).toBe(1);
    expect(seen.err).toContain('the policy changed since revision 0');
  });

  it('prints the policy in force as a file that applies as no change', async () => {
    const inForce = policyView(parsePolicyFile(example), 3);
    serve(inForce);
    await lockstep(['policy', 'get']);
    const saved = write('saved.yaml', seen.out);
    reset();
    serve(inForce);

    const code = await lockstep(['policy', 'apply', '-f', saved]);

    expect(code).toBe(0);
    expect(seen.out).toMatch(/^no change: .*saved\.yaml is what is in force already \(revision 3/);
    expect(seen.sent.map((r) => r.method)).toEqual(['GET']);
  });

  it('prints what is in force for one component', async () => {
    const file = parsePolicyFile(example);
    seen.answer = () => jsonResponse(200, { component: 'api', revision: 3, overridden: true, policy: file.defaults });

    await lockstep(['policy', 'get', '--component', 'api']);

    expect(seen.sent[0].url).toBe('http://api.test/v1/policy/components/api');
    expect(seen.out).toMatch(/^# In force for api \(policy revision 3\)[\s\S]*\nchannel: stable\n/);
  });

  it.each([
    ['components.api.minimumReleaseAge', '7d', '7d'],
    ['defaults.strategy.maxParallel', '3', 3],
    ['defaults.bypassMinimumAgeFor', '[security, hotfix]', ['security', 'hotfix']],
    ['components.api', 'null', null],
  ])('sets one field: %s to %s', async (path, value, sent) => {
    serve(policyView(DEFAULT_POLICY_FILE, 0), {
      changes: [{ path, to: sent }],
      applied: true,
      dryRun: false,
      policy: policyView(DEFAULT_POLICY_FILE, 4),
    });

    const code = await lockstep(['policy', 'set', path, value]);

    expect(code).toBe(0);
    expect(seen.sent).toEqual([expect.objectContaining({ method: 'PATCH', body: { path, value: sent } })]);
    expect(seen.out).toContain('applied: the policy in force is now revision 4');
  });

  it('refuses a field path that is not one, sending nothing', async () => {
    const code = await lockstep(['policy', 'set', 'classes.patch', 'never']);

    expect(code).toBe(2);
    expect(seen.err).toContain('defaults.classes.patch');
    expect(seen.sent).toEqual([]);
  });
});
