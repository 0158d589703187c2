import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@lockstep/testing';
import { run } from '../program';

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
