import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startNatsCluster, type NatsClusterHandle } from '@lockstep/testing';

const run = promisify(execFile);

/** The newest PostgreSQL server binaries on this machine (Debian's layout); LOCKSTEP_PG_BIN overrides. */
function postgresBin(): string {
  if (process.env.LOCKSTEP_PG_BIN) return process.env.LOCKSTEP_PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(a) - Number(b)) : [];
  const bin = versions.map((v) => join(root, v, 'bin')).filter((d) => existsSync(join(d, 'initdb')));
  if (!bin.length) throw new Error(`no initdb under ${root}/<version>/bin: install postgresql or set LOCKSTEP_PG_BIN`);
  return bin[bin.length - 1];
}

/**
 * A PostgreSQL cluster of its own for a fault scenario that stops Postgres: `initdb` into a
 * temporary directory, served on a free loopback port with trust authentication, so an outage
 * never touches the machine's shared server. Postgres refuses to run as root, so as root the
 * cluster belongs to the `postgres` user and its commands run through `runuser`.
 */
export class PrivatePostgres {
  /** False from `stop` until `start` brought the server back. */
  running = false;

  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-pg-'));
    const pg = new PrivatePostgres(dir, await freePort());
    try {
      if (process.getuid?.() === 0) {
        const { stdout } = await run('id', ['-u', 'postgres']);
        const { stdout: gid } = await run('id', ['-g', 'postgres']);
        chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
      }
      await pg.pg('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
      await pg.start();
      return pg;
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The superuser URL of the cluster (for createTestDatabase's admin connection). */
  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts (or starts again) the server; resolves once it accepts connections. */
  async start(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off -c shared_buffers=16MB`;
    await this.pg('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'server.log'),
      '-o',
      options,
      '-w',
      'start',
    ]);
    this.running = true;
  }

  /** Stops the server for real (`pg_ctl stop -m fast`: sessions are cut, new ones refused). */
  async stop(): Promise<void> {
    this.running = false;
    await this.pg('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
  }

  /** Stops the server at once and removes the cluster. */
  async destroy(): Promise<void> {
    await this.pg('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async pg(tool: string, args: string[]): Promise<void> {
    const bin = join(postgresBin(), tool);
    const [cmd, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
    try {
      await run(cmd, argv, { timeout: 60_000 });
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(
        `${tool} ${args.at(-1)} of the private Postgres in ${this.dir} failed: ${e.stderr || e.message}`,
        {
          cause: err,
        },
      );
    }
  }
}

/** What a fault-matrix fleet stands on that its scenarios may stop. */
export interface FleetInfra {
  /** The fleet's own Postgres cluster. */
  postgres: PrivatePostgres;
  /** A NATS cluster of three servers of its own (a `cluster` fleet; others get one secured server from TestFleet). */
  nats?: NatsClusterHandle;
  /** Stops and removes all of it. */
  stop(): Promise<void>;
}

export async function startFleetInfra(options: { natsCluster: boolean }): Promise<FleetInfra> {
  const postgres = await PrivatePostgres.start();
  const nats = options.natsCluster
    ? await startNatsCluster({ size: 3 }).catch(async (err: Error) => {
        await postgres.destroy();
        throw err;
      })
    : undefined;
  return {
    postgres,
    nats,
    async stop() {
      await nats?.stop();
      await postgres.destroy();
    },
  };
}
