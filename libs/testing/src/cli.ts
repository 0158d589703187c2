import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './processes';

/** What one `lockstep` run produced. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI (`node bin/lockstep ...`) as an operator would, with only the given
 * environment on top of PATH/HOME; resolves whatever the exit code.
 */
export function runCli(
  args: string[],
  env: Record<string, string>,
  options: { timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(repoRoot(), 'bin', 'lockstep'), ...args],
      {
        cwd: repoRoot(),
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : undefined
          : 0;
        if (code === undefined)
          reject(new Error(`lockstep ${args.join(' ')} did not finish: ${(err as Error).message}\n${stderr}`));
        else resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Parses the stdout of a `--json` run, failing with the run's output when it is not JSON. */
export function jsonOf<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`expected JSON on stdout (exit ${run.code}):\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
}
