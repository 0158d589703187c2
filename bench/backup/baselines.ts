/**
 * The tools bench:backup compares Lockstep with, run as a user would run them: `tar | zstd -3`
 * into a file, and restic backing up into a repository on local disk. Also the pgbench
 * database the full backup dumps.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';

const run = promisify(execFile);

/** Wall seconds of `fn`. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Runs a program to its end, output discarded; rejects with its stderr on a non-zero exit. */
export function runQuiet(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim()}`)),
    );
  });
}

/**
 * `tar -cf - -C <root> . | zstd -3 -q -c > <out>`: one tar stream of the same files,
 * compressed at the level Lockstep uses and written to disk. Returns wall seconds.
 */
export function tarZstd(root: string, out: string): Promise<number> {
  return timed(() =>
    runQuiet('bash', ['-o', 'pipefail', '-c', 'tar -cf - -C "$1" . | zstd -3 -q -c > "$2"', 'tar-zstd', root, out]),
  );
}

/** Reads every file once so all runs see the page cache equally warm. */
export function warmPageCache(root: string): Promise<void> {
  return runQuiet('bash', ['-o', 'pipefail', '-c', 'tar -cf - -C "$1" . | cat > /dev/null', 'warm', root]);
}

const hasRestic = (): boolean => spawnSync('restic', ['version'], { stdio: 'ignore' }).status === 0;

/**
 * Makes sure `restic` is on PATH, installing Debian's package (apt-get update first when
 * the plain install fails) when it is missing and this process is root. Returns a reason
 * when it cannot be had.
 */
export function ensureRestic(log: (line: string) => void): string | undefined {
  if (hasRestic()) return undefined;
  if (process.getuid?.() !== 0) return 'restic is not installed and this is not root (apt-get install restic)';
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-qq', 'restic'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  log('restic is missing: apt-get install -y restic');
  if (!install()) {
    log('apt-get install failed: apt-get update, then again');
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    install();
  }
  return hasRestic() ? undefined : 'apt-get could not install restic';
}

/** A restic repository on local disk (restic's own key derivation, compression auto, encryption always on). */
export class ResticRepo {
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly dir: string) {
    this.env = {
      ...process.env,
      RESTIC_REPOSITORY: join(dir, 'repo'),
      RESTIC_PASSWORD: 'bench-backup-passphrase',
      RESTIC_CACHE_DIR: join(dir, 'cache'),
    };
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await runQuiet('restic', ['init', '-q'], this.env);
  }

  /** `restic backup <root>`; later runs find the previous snapshot of the same path as parent. Returns wall seconds. */
  backup(root: string): Promise<number> {
    return timed(() => runQuiet('restic', ['backup', '-q', root], this.env));
  }

  async version(): Promise<string> {
    return (await run('restic', ['version'])).stdout.trim();
  }

  remove(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}

/** A fresh database filled by `pgbench -i -s <scale>`; drop it when done. */
export async function pgbenchDatabase(scale: number): Promise<TestDatabase> {
  const db = await createTestDatabase('lockstep_bench_backup');
  try {
    await run('pgbench', ['-i', '-s', String(scale), '-q', db.url], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    await db.drop();
    throw new Error(
      `pgbench -i -s ${scale} failed: ${(err as Error).message}. Is pgbench installed (postgresql-contrib / postgresql client) and Postgres up (deploy/scripts/ensure-infra.sh)?`,
      { cause: err },
    );
  }
  return db;
}
