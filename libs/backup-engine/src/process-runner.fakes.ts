import { Readable } from 'node:stream';
import { ExternalCommandError } from './errors';
import type { ProcessRunner, RunningProcess, StartOptions } from './process-runner';

/** What a faked program does: its stdout, exit code and stderr. */
export interface FakeOutcome {
  stdout?: Buffer[];
  exitCode?: number;
  stderr?: string;
}

/** One recorded start, with the bytes the program was fed. */
export interface FakeCall {
  command: string;
  args: readonly string[];
  stdin: Buffer;
  /** Variables the program was given on top of the runner's environment. */
  env?: Record<string, string>;
}

/** ProcessRunner for unit specs: programs answer from `outcomes` (default: exit 0, no output). */
export class FakeProcessRunner implements ProcessRunner {
  readonly calls: FakeCall[] = [];
  killed = 0;
  constructor(readonly outcomes: Record<string, FakeOutcome> = {}) {}

  start(command: string, args: readonly string[], options: StartOptions = {}): RunningProcess {
    const call: FakeCall = { command, args, stdin: Buffer.alloc(0), env: options.env };
    this.calls.push(call);
    const outcome = this.outcomes[command] ?? {};
    const finished = (async () => {
      const fed: Buffer[] = [];
      if (options.stdin) for await (const b of options.stdin) fed.push(b);
      call.stdin = Buffer.concat(fed);
      const code = outcome.exitCode ?? 0;
      if (code !== 0) throw new ExternalCommandError(command, code, outcome.stderr ?? '', options.hint ?? '');
    })();
    finished.catch(() => undefined);
    return { stdout: Readable.from(outcome.stdout ?? []), finished, kill: () => void this.killed++ };
  }
}
