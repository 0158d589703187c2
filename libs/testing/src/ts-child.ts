import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { repoRoot } from './processes';

/**
 * Runs a TypeScript file of this repository in a child `node` process, straight from
 * source: .ts files are transpiled on require with the typescript package (no type
 * check) and `@lockstep/<lib>` maps to `libs/<lib>/src`. For tests that need a real
 * second process (SIGSTOP/SIGCONT, SIGKILL) around library code, without a build.
 */
const REGISTER = `
const ts = require('typescript');
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const root = process.env.LOCKSTEP_TS_CHILD_ROOT;
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const m = /^@lockstep\\/([a-z-]+)$/.exec(request);
  return resolve.call(this, m ? path.join(root, 'libs', m[1], 'src') : request, ...rest);
};
const options = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, experimentalDecorators: true, emitDecoratorMetadata: true, inlineSourceMap: true };
Module._extensions['.ts'] = (module, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), { fileName: filename, compilerOptions: options });
  module._compile(out.outputText, filename);
};
const script = path.resolve(process.argv[1]);
process.argv.splice(1, 1, script);
require(script);
`;

/** A running TypeScript child whose stdout is read as JSON lines. */
export interface TsChild {
  proc: ChildProcess;
  /** Every stdout line parsed as JSON so far (non-JSON lines are kept as `{ line }`). */
  lines: Array<Record<string, unknown>>;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the first line (already seen or future) that matches. */
  waitForLine(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends a signal; for anything but SIGSTOP/SIGCONT resolves once the child exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `node <script>` (a .ts path relative to the repository root, or absolute) with extra env. */
export function spawnTs(script: string, env: Record<string, string> = {}): TsChild {
  const root = repoRoot();
  const proc = spawn(process.execPath, ['-e', REGISTER, join(root, script)], {
    cwd: root,
    env: { ...process.env, ...env, LOCKSTEP_TS_CHILD_ROOT: root },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  createInterface({ input: proc.stdout }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines.push({ line });
    }
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const running = () => proc.exitCode === null && proc.signalCode === null;
  return {
    proc,
    lines,
    stderr: () => err,
    waitForLine(match, timeoutMs = 15000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (found) {
            cleanup();
            resolve(found);
          } else if (!running()) {
            cleanup();
            reject(
              new Error(
                `child ${script} exited (${proc.exitCode ?? proc.signalCode}) before the expected line:\n${err}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(`timed out waiting for a line from ${script}; got ${JSON.stringify(lines.slice(-5))}\n${err}`),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          proc.off('exit', check);
        };
        waiters.add(check);
        proc.on('exit', check);
        check();
      });
    },
    async kill(signal = 'SIGTERM') {
      if (!running()) return;
      proc.kill(signal);
      if (signal !== 'SIGSTOP' && signal !== 'SIGCONT') await exited;
    },
  };
}
