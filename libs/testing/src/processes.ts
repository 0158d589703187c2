import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Root of the repository (the folder holding bin/lockstep), from source or from dist/. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'bin', 'lockstep'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the Lockstep checkout above ${__dirname}`);
    dir = up;
  }
  return dir;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A Lockstep service running as its own process from the build output (`npm run build`). */
export interface ServiceProcess {
  name: string;
  url: string;
  port: number;
  proc: ChildProcess;
  /**
   * For the api: the owner token it wrote to API_BOOTSTRAP_TOKEN_FILE at its first start on a
   * fresh database (a temporary file unless `env` names one); undefined when the database
   * already had an owner token (reuse the first api's).
   */
  token?: string;
  /** Everything the process wrote so far. */
  output(): string;
  /** Sends a signal and resolves when the process exited. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `dist/services/<name>/src/main.js` with the given environment on a free port and
 * resolves once its /readyz answers 200 (rejects with its output if it exits first).
 */
export async function startService(
  name: string,
  env: Record<string, string>,
  options: { readyTimeoutMs?: number; port?: number } = {},
): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const tokenFile =
    name === 'api'
      ? (env.API_BOOTSTRAP_TOKEN_FILE ?? join(mkdtempSync(join(tmpdir(), 'lockstep-api-')), 'bootstrap-token'))
      : undefined;
  if (tokenFile) env = { ...env, API_BOOTSTRAP_TOKEN_FILE: tokenFile };
  const script = join(repoRoot(), 'dist', 'services', name, 'src', 'main.js');
  const proc = spawn(process.execPath, [script], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const handle: ServiceProcess = {
    name,
    url,
    port,
    proc,
    output: () => out,
    kill: async (signal = 'SIGTERM') => {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      return exited;
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30000);
  let gone = false;
  void exited.then(() => (gone = true));
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${name} exited before it was ready (code ${proc.exitCode}):\n${out}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) {
        if (tokenFile && existsSync(tokenFile)) handle.token = readFileSync(tokenFile, 'utf8').trim();
        return handle;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await handle.kill('SIGKILL');
  throw new Error(`${name} was not ready within ${options.readyTimeoutMs ?? 30000}ms:\n${out}`);
}
