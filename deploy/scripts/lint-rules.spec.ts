import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@lockstep/testing';

interface LintResult {
  filePath: string;
  messages: Array<{ ruleId: string | null }>;
}

/**
 * Runs the project's ESLint (its own config) once over probe folders written into the tree (so
 * the type-aware rules see project files). Lint, Prettier, git and the build ignore them, so
 * probes that a killed run leaves behind break nothing.
 */
function lint(probes: Record<string, Record<string, string>>): Promise<Record<string, string[]>> {
  const root = join(repoRoot(), 'deploy', 'scripts', `lint-probe-${randomBytes(4).toString('hex')}`);
  for (const [probe, files] of Object.entries(probes)) {
    mkdirSync(join(root, probe), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, probe, name), text);
  }
  return new Promise((resolve, reject) => {
    execFile(
      join(repoRoot(), 'node_modules', '.bin', 'eslint'),
      ['--no-ignore', '--format', 'json', root],
      { cwd: repoRoot(), maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        rmSync(root, { recursive: true, force: true });
        if (err && !stdout) return reject(new Error(`eslint did not run: ${stderr}`, { cause: err }));
        const rules: Record<string, string[]> = Object.fromEntries(Object.keys(probes).map((p) => [p, []]));
        for (const file of JSON.parse(stdout) as LintResult[]) {
          const probe = file.filePath.slice(root.length + 1).split('/')[0];
          rules[probe].push(...file.messages.map((m) => m.ruleId ?? 'parse error'));
        }
        resolve(rules);
      },
    );
  });
}

const cycleA = "import { b } from './b';\nexport const a = (): number => b() + 1;\n";
const work = 'async function work(): Promise<void> {\n  await Promise.resolve();\n}\n';

describe('npm run lint (ESLint rules)', () => {
  it('fails an import cycle and a floating promise, and passes the same code without them', async () => {
    const sut = await lint({
      bad: {
        'a.ts': cycleA,
        'b.ts': "import { a } from './a';\nexport const b = (): number => a() + 1;\n",
        'c.ts': `${work}export function start(): void {\n  work();\n}\n`,
      },
      good: {
        'a.ts': cycleA,
        'b.ts': 'export const b = (): number => 1;\n',
        'c.ts': `${work}export function start(): void {\n  void work();\n}\n`,
      },
    });

    expect(sut.bad.sort()).toEqual([
      '@typescript-eslint/no-floating-promises',
      'import-x/no-cycle',
      'import-x/no-cycle',
    ]);
    expect(sut.good).toEqual([]);
  });
});
