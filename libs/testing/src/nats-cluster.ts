import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import { randomBytes } from 'node:crypto';
import { freePort } from './processes';

/**
 * Real nats-server processes on loopback for tests that must not share the session's
 * server: one isolated JetStream server, or a JetStream cluster (routes between all
 * members, one config file and store directory per server, distinct server names).
 */

/** One nats-server process started by a test. */
export interface NatsServerHandle {
  /** `server_name` in its config. */
  name: string;
  /** Client URL, `nats://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** JetStream store directory (kept across restart, removed by stop). */
  storeDir: string;
  configFile: string;
  /** File the server's output is copied to (beside the config, removed by stop). */
  logFile: string;
  /** True while the process is running (also while SIGSTOPped). */
  isRunning(): boolean;
  /** Everything the server logged so far. */
  output(): string;
  /**
   * Sends a signal (default SIGKILL). For SIGSTOP/SIGCONT it returns at once; otherwise
   * it resolves when the process has exited.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again with the same config, ports and store; resolves when it accepts clients. */
  restart(): Promise<void>;
}

/** A single isolated JetStream server. */
export interface NatsServerInstance extends NatsServerHandle {
  /** Kills the server and removes its directories. */
  stop(): Promise<void>;
}

/** A JetStream cluster of nats-server processes. */
export interface NatsClusterHandle {
  /** Client URLs of every member (give all of them to a client for failover). */
  urls: string[];
  servers: NatsServerHandle[];
  /** Kills every member and removes their directories. */
  stop(): Promise<void>;
}

/** `nats-server` on PATH, else /usr/sbin/nats-server; LOCKSTEP_NATS_SERVER overrides both. */
export function natsServerBinary(): string {
  if (process.env.LOCKSTEP_NATS_SERVER) return process.env.LOCKSTEP_NATS_SERVER;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'nats-server'))) return join(dir, 'nats-server');
  }
  if (existsSync('/usr/sbin/nats-server')) return '/usr/sbin/nats-server';
  throw new Error('nats-server not found: put it on PATH or set LOCKSTEP_NATS_SERVER to its path');
}

/** Options of {@link startNatsServer}. */
export interface StartNatsServerOptions {
  name?: string;
  /**
   * Config appended to the generated one (server name, loopback listen, JetStream store), e.g.
   * an `authorization` block or `include "auth.conf"`. With it, readiness is the server's
   * "Server is ready" line rather than an anonymous JetStream round trip (auth may forbid one).
   */
  config?: string;
  /** Files written beside the config before the server starts (name -> content), for `include`. */
  files?: Record<string, string>;
  /** false: JetStream off (operator mode without a system account cannot run it). */
  jetstream?: boolean;
}

/** Starts one JetStream server on a free loopback port with its own store directory. */
export async function startNatsServer(options: StartNatsServerOptions = {}): Promise<NatsServerInstance> {
  const root = mkdtempSync(join(tmpdir(), 'lockstep-nats-'));
  const port = await freePort();
  const name = options.name ?? `solo-${randomBytes(3).toString('hex')}`;
  const storeDir = join(root, 'store');
  for (const [file, content] of Object.entries(options.files ?? {})) writeFileSync(join(root, file), content);
  const text =
    configText({ name, port, storeDir, jetstream: options.jetstream ?? true }) +
    (options.config ? `${options.config}\n` : '');
  const server = new ServerProcess(name, port, root, storeDir, text);
  try {
    await server.start();
    if (options.config) await server.waitForLog(/Server is ready/, 15000);
    else await waitForJetStream([server.url], 1, 15000);
  } catch (err) {
    await server.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return Object.assign(server.handle(), {
    async stop() {
      await server.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    },
  });
}

/**
 * Starts `size` routed JetStream servers (default 3) and resolves once JetStream can place
 * a stream with `size` replicas, i.e. a meta leader exists and every peer has joined.
 */
export async function startNatsCluster(options: { size?: number; name?: string } = {}): Promise<NatsClusterHandle> {
  const size = options.size ?? 3;
  const cluster = options.name ?? `lockstep-${randomBytes(3).toString('hex')}`;
  const root = mkdtempSync(join(tmpdir(), 'lockstep-nats-cluster-'));
  const ports = await distinctFreePorts(size * 2);
  const clientPorts = ports.slice(0, size);
  const routePorts = ports.slice(size);
  const servers = clientPorts.map((port, i) => {
    const name = `${cluster}-n${i + 1}`;
    const routes = routePorts.filter((_, j) => j !== i).map((p) => `nats-route://127.0.0.1:${p}`);
    const storeDir = join(root, name);
    const text = configText({ name, port, storeDir, cluster: { name: cluster, port: routePorts[i], routes } });
    return new ServerProcess(name, port, root, storeDir, text);
  });
  const stop = async () => {
    await Promise.all(servers.map((s) => s.kill('SIGKILL')));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await Promise.all(servers.map((s) => s.start()));
    await waitForJetStream(
      servers.map((s) => s.url),
      size,
      30000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { urls: servers.map((s) => s.url), servers: servers.map((s) => s.handle()), stop };
}

interface ConfigInput {
  name: string;
  port: number;
  storeDir: string;
  /** Default true. */
  jetstream?: boolean;
  cluster?: { name: string; port: number; routes: string[] };
}

function configText(c: ConfigInput): string {
  const lines = [`server_name: "${c.name}"`, `listen: "127.0.0.1:${c.port}"`];
  if (c.jetstream !== false)
    lines.push(`jetstream { store_dir: "${c.storeDir}", max_memory_store: 64MB, max_file_store: 1GB }`);
  if (c.cluster) {
    lines.push(
      `cluster {`,
      `  name: "${c.cluster.name}"`,
      `  listen: "127.0.0.1:${c.cluster.port}"`,
      `  routes: [${c.cluster.routes.map((r) => `"${r}"`).join(', ')}]`,
      `}`,
    );
  }
  return lines.join('\n') + '\n';
}

class ServerProcess {
  readonly url: string;
  readonly configFile: string;
  readonly logFile: string;
  private proc?: ChildProcess;
  private exited?: Promise<void>;
  private log = '';

  constructor(
    readonly name: string,
    readonly port: number,
    root: string,
    readonly storeDir: string,
    config: string,
  ) {
    this.url = `nats://127.0.0.1:${port}`;
    this.configFile = join(root, `${name}.conf`);
    this.logFile = join(root, `${name}.log`);
    writeFileSync(this.configFile, config);
  }

  isRunning(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.isRunning()) return;
    const proc = spawn(natsServerBinary(), ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const record = (d: Buffer) => {
      this.log += d.toString();
      appendFileSync(this.logFile, d);
    };
    proc.stdout.on('data', record);
    proc.stderr.on('data', record);
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + 10000;
    while (!(await portOpen(this.port))) {
      if (!this.isRunning()) throw new Error(`nats-server ${this.name} exited at start:\n${this.log}`);
      if (Date.now() > deadline)
        throw new Error(`nats-server ${this.name} did not listen on ${this.port} within 10s:\n${this.log}`);
      await sleep(25);
    }
  }

  /** Resolves once the server's log matches `pattern`. */
  async waitForLog(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.log)) {
      if (!this.isRunning()) throw new Error(`nats-server ${this.name} exited:\n${this.log}`);
      if (Date.now() > deadline)
        throw new Error(`nats-server ${this.name} did not log ${pattern} within ${timeoutMs}ms:\n${this.log}`);
      await sleep(25);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.isRunning()) return;
    this.proc!.kill(signal);
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') return;
    await this.exited;
  }

  handle(): NatsServerHandle {
    return {
      name: this.name,
      url: this.url,
      port: this.port,
      storeDir: this.storeDir,
      configFile: this.configFile,
      logFile: this.logFile,
      isRunning: () => this.isRunning(),
      output: () => this.log,
      kill: (signal) => this.kill(signal),
      restart: async () => {
        await this.kill('SIGKILL');
        await this.start();
      },
    };
  }
}

/** Polls until JetStream accepts a stream with `replicas` replicas through the given servers. */
async function waitForJetStream(servers: string[], replicas: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const nc = await connect({ servers, timeout: 1000, reconnect: false }).catch((err) => {
      last = err;
      return undefined;
    });
    if (nc) {
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2000 });
        const name = `READY_${randomBytes(4).toString('hex')}`;
        await jsm.streams.add({
          name,
          subjects: [`_lockstep_ready.${name}`],
          num_replicas: replicas,
          storage: StorageType.Memory,
        });
        await jsm.streams.delete(name);
        return;
      } catch (err) {
        last = err;
      } finally {
        await nc.close();
      }
    }
    await sleep(100);
  }
  throw new Error(
    `JetStream did not become ready (replicas ${replicas}) within ${timeoutMs}ms: ${(last as Error)?.message ?? 'no answer'}`,
  );
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
