import { spawn } from 'node:child_process';

/** Agent settings and secrets an app, hook or service-manager command must not inherit. */
const AGENT_ONLY =
  /^(AGENT_|S3_|NATS_|BACKUP_|DATABASE_URL$|OTEL_|NODE_ID$|NODE_LABELS$|HTTP_HOST$|HTTP_PORT$|SHUTDOWN_TIMEOUT$|LOG_LEVEL$|LOCKSTEP_)/;

/** The agent's environment without its own settings and credentials (PATH, HOME, LANG… stay). */
export function scrubbedEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && !AGENT_ONLY.test(e[0])),
  );
}

/** How to run one external command. */
export interface CommandSpec {
  /** Executable, or a shell command line when `shell` is true. */
  command: string;
  args?: string[];
  /** Run `command` with /bin/sh -c. */
  shell?: boolean;
  cwd?: string;
  /** Added to the agent's environment (scrubbed of the agent's settings, see scrubbedEnv). */
  env?: Record<string, string>;
  /** Kill the command's whole process group after this long. */
  timeoutMs: number;
}

/** How a command ended. */
export interface CommandResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The last 4 KiB of stdout and stderr, interleaved. */
  output: string;
}

const TAIL = 4096;

/**
 * Runs a command in its own process group and resolves when it ends (never rejects for a
 * non-zero exit; rejects only when it cannot be started). On timeout the whole group gets
 * SIGTERM, then SIGKILL two seconds later.
 */
export function runCommand(spec: CommandSpec): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const env = { ...scrubbedEnv(), ...spec.env };
    const child = spec.shell
      ? spawn('/bin/sh', ['-c', spec.command], {
          cwd: spec.cwd,
          env,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(spec.command, spec.args ?? [], { cwd: spec.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (d: Buffer) => {
      output = (output + d.toString('utf8')).slice(-TAIL);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGTERM');
      killer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 2000);
    }, spec.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      clearTimeout(killer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      resolve({ code, signal, timedOut, output: output.trim() });
    });
  });
}

/** Sends a signal to a process group; ignores a group that is already gone. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** One line about how a command ended, for error messages. */
export function describeResult(what: string, result: CommandResult, timeoutMs: number): string {
  const how = result.timedOut
    ? `did not finish within ${timeoutMs} ms and was killed`
    : result.code !== null
      ? `exited with code ${result.code}`
      : `was killed by ${result.signal}`;
  return `${what} ${how}${result.output ? `; last output: ${result.output.slice(-1000)}` : ''}`;
}
