/**
 * A helper process of the benchmark (a compiled script next to this file): it prints one JSON
 * line when ready, and stops cleanly when its stdin closes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface LineChild<T> {
  proc: ChildProcess;
  /** The first line the child printed, parsed. */
  ready: T;
  /** Closes its stdin and waits for it to exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `node <script>.js` from this folder with extra env; resolves with its first stdout line
 * as JSON. Its stderr is copied to ours with `tag` in front of each line (never to stdout,
 * whose last line is the benchmark's result).
 */
export async function startLineChild<T>(
  script: string,
  env: Record<string, string>,
  tag: (pid: number) => string,
): Promise<LineChild<T>> {
  const proc = spawn(process.execPath, [join(__dirname, `${script}.js`)], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const prefix = tag(proc.pid ?? 0);
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
    process.stderr.write(d.toString().replace(/^(?=.)/gm, `[${prefix}] `));
  });
  const stop = async (graceMs = 15_000) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.stdin.end();
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: proc.stdout }).once('line', resolve);
      proc.once('exit', (code) => reject(new Error(`${prefix} exited with ${code} before it was ready:\n${stderr}`)));
    });
    return { proc, ready: JSON.parse(line) as T, stop };
  } catch (err) {
    await stop(1000);
    throw err;
  }
}
