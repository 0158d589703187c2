import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupEngineError, ExternalCommandError } from './errors';

/** How to start one program. */
export interface StartOptions {
  /** Bytes fed to its standard input (with backpressure); stdin is closed when omitted. */
  stdin?: AsyncIterable<Buffer>;
  /** What the operator should do when it fails; appended to the error message. */
  hint?: string;
  /** Variables added to the program's environment (e.g. `PGPASSWORD`: secrets never go in `args`). */
  env?: Record<string, string>;
  /**
   * The program may exit successfully before reading all of stdin (`pg_restore --list` reads
   * only the archive's head): its input then ending in a broken pipe is not a failure.
   */
  inputMayEndEarly?: boolean;
}

/** A started program. */
export interface RunningProcess {
  /** Standard output; the caller must consume it (or the program stalls). */
  readonly stdout: Readable;
  /** Resolves on exit code 0; rejects with ExternalCommandError (naming the program and its stderr) otherwise. */
  readonly finished: Promise<void>;
  /** Stops the program (SIGTERM); `finished` then rejects. */
  kill(): void;
}

/** Runs outside programs (pg_dump, pg_restore, createdb); faked in tests. */
export interface ProcessRunner {
  /** Starts `command` with `args` (no shell). */
  start(command: string, args: readonly string[], options?: StartOptions): RunningProcess;
}

const STDERR_TAIL = 4096;

/** ProcessRunner over `child_process.spawn`; keeps the last 4 KiB of stderr for errors. */
export class ChildProcessRunner implements ProcessRunner {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** Starts the program; see ProcessRunner.start. */
  start(command: string, args: readonly string[], options: StartOptions = {}): RunningProcess {
    const hint = options.hint ?? `Check that ${command} is installed and its arguments are valid.`;
    const env = options.env ? { ...this.env, ...options.env } : this.env;
    const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr = (stderr + s).slice(-STDERR_TAIL);
    });
    child.stdin.on('error', () => undefined); // an early exit is reported through the exit code
    const fed = options.stdin
      ? pipeline(Readable.from(options.stdin), child.stdin)
      : Promise.resolve(child.stdin.end());
    fed.catch(() => child.kill('SIGTERM')); // a broken input must not look like a complete one
    const exited = new Promise<void>((resolve, reject) => {
      child.on('error', (cause) => reject(new ExternalCommandError(command, null, cause.message, hint, { cause })));
      child.on('close', (code, signal) => {
        if (code === 0) resolve();
        else
          reject(new ExternalCommandError(command, code, stderr.trim() || (signal ? `killed by ${signal}` : ''), hint));
      });
    });
    const finished = (async () => {
      const [feed, exit] = await Promise.allSettled([fed, exited]);
      // a failed input (e.g. a chunk that cannot be read) explains the program's exit better than its stderr
      if (feed.status === 'rejected' && feed.reason instanceof BackupEngineError) throw feed.reason;
      if (exit.status === 'rejected') throw exit.reason;
      if (feed.status === 'rejected' && !options.inputMayEndEarly) throw feed.reason;
    })();
    finished.catch(() => undefined); // callers await it; this only keeps an early failure from counting as unhandled
    return {
      stdout: child.stdout,
      finished,
      kill: () => {
        child.kill('SIGTERM');
      },
    };
  }
}

/** Runs a program to its end, discarding stdout; rejects like RunningProcess.finished. */
export async function runToEnd(
  runner: ProcessRunner,
  command: string,
  args: readonly string[],
  options?: StartOptions,
): Promise<void> {
  const p = runner.start(command, args, options);
  p.stdout.resume();
  await p.finished;
}
