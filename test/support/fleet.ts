import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queries, systemActor, type QueryReply } from '@lockstep/contracts';
import { MinioObjectStore } from '@lockstep/storage';
import { TufRepositoryWriter, generateKeySet, trustedRootFor, type TufKeySet } from '@lockstep/releases';
import {
  buildDemoArtifact,
  freePort,
  type DemoArtifactOptions,
  startS3Server,
  startService,
  uniqueName,
  waitFor,
  type S3ServerHandle,
  type ServiceProcess,
} from '@lockstep/testing';
import { Client } from 'pg';
import { createTestDeployment, s3Env, TEST_NODES, type TestDeployment } from './control-plane';

/** One agent process with the demo app on its own port. */
export interface FleetNode {
  id: string;
  appPort: number;
  dir: string;
  proc: ServiceProcess;
  /** GET / of the demo app: its version, or undefined when it does not answer. */
  version(): Promise<string | undefined>;
}

/**
 * A control plane (checker, scheduler) plus `size` agents running the demo app, on the
 * session's NATS and Postgres with a fresh namespace, database and bucket, and a TUF
 * repository of the demo component.
 */
export class TestFleet {
  readonly procs: ServiceProcess[] = [];
  readonly nodes: FleetNode[] = [];
  readonly writer = new TufRepositoryWriter();
  readonly work = mkdtempSync(join(tmpdir(), 'lockstep-fleet-'));
  keys: TufKeySet = generateKeySet();
  store!: MinioObjectStore;
  bucket = uniqueName('f');
  rootPath = join(this.work, 'root.json');
  /** Settings each node's agent was started with, to start it again the same way. */
  private readonly nodeEnv = new Map<string, Record<string, string>>();
  /** The extra settings each service was last started with by startService. */
  private readonly serviceEnv = new Map<string, Record<string, string>>();

  private constructor(
    readonly dep: TestDeployment,
    public s3: S3ServerHandle,
    /** Settings every process of the fleet gets on top of its own (e.g. shorter redelivery delays). */
    private readonly extraEnv: Record<string, string> = {},
  ) {}

  /**
   * Without `natsUrls` the fleet gets a NATS server of its own running the users `lockstep
   * nats config` generates (nodes TEST_NODES), and every process runs as its own
   * least-privilege user; with them (a cluster) it shares those servers without users.
   * `pgAdminUrl`: the fleet's database lives on that Postgres server (one the test may stop);
   * `env`: settings every process of the fleet gets.
   */
  static async start(
    options: { natsUrls?: string[]; pgAdminUrl?: string; env?: Record<string, string> } = {},
  ): Promise<TestFleet> {
    const fleet = new TestFleet(
      await createTestDeployment({ natsUrls: options.natsUrls, pgAdminUrl: options.pgAdminUrl }),
      await startS3Server(),
      options.env,
    );
    await fleet.dep.pg.connect();
    fleet.store = new MinioObjectStore({
      endpoint: fleet.s3.endpoint,
      accessKey: fleet.s3.accessKey,
      secretKey: fleet.s3.secretKey,
      bucket: fleet.bucket,
    });
    await fleet.store.ensureBucket();
    await fleet.publishFirst('demo', fleet.rootPath);
    fleet.procs.push(await startService('checker', { ...fleet.env('checker'), CHECKER_CHECK_ON_START: 'false' }));
    await fleet.register('demo', fleet.rootPath);
    await fleet.startScheduler();
    return fleet;
  }

  /**
   * Registers another component whose releases this fleet publishes (`publish(v, {}, name)`),
   * with 1.0.0 published; returns the path of its trusted root, for its agents (`addNodes` with
   * AGENT_COMPONENT and AGENT_TRUSTED_ROOT) and `lockstep components add --trusted-root`.
   */
  async addComponent(name: string): Promise<string> {
    const rootPath = join(this.work, `root-${name}.json`);
    await this.publishFirst(name, rootPath);
    await this.register(name, rootPath);
    return rootPath;
  }

  /** Publishes 1.0.0 of a new component and saves its trusted root at `rootPath`. */
  private async publishFirst(component: string, rootPath: string): Promise<void> {
    await this.publish('1.0.0', {}, component);
    writeFileSync(rootPath, await trustedRootFor(this.store, component));
  }

  /** Registers the component with the checker (its running version unknown until its nodes report it). */
  private async register(name: string, rootPath: string): Promise<void> {
    const reply = await this.dep.queries.send<QueryReply<unknown>>(Queries.ComponentUpsert, {
      name,
      sourceType: 'tuf',
      currentVersion: null,
      sourceConfig: { mode: 's3', trustedRoot: readFileSync(rootPath, 'utf8') },
      actor: systemActor('e2e-fleet'),
    });
    if (!reply.ok) throw new Error(reply.error.message);
  }

  /** Settings of one process (`checker`, …, `agent-<nodeId>`): its NATS identity when NATS is secured. */
  env(identity: string): Record<string, string> {
    return { ...this.dep.envFor(identity), ...s3Env(this.s3, this.bucket), ...this.extraEnv };
  }

  /**
   * After its Postgres server went away and came back: the test's own connection (`dep.pg`)
   * died with it, so this opens a new one.
   */
  async reconnectPostgres(): Promise<void> {
    const old = this.dep.pg;
    this.dep.pg = new Client({ connectionString: this.dep.db.url });
    await this.dep.pg.connect();
    await old.end().catch(() => undefined);
  }

  /** Stops the fleet's S3 server as a crash would (transfers in flight break off); keeps its data. */
  async killS3(): Promise<void> {
    await this.s3.kill();
  }

  /** Starts the fleet's S3 server again, on the same port and data directory. */
  async restartS3(): Promise<void> {
    this.s3 = await startS3Server({ port: this.s3.port, directory: this.s3.directory });
  }

  /** Every permissions violation this fleet's NATS server logged (none expected). */
  natsViolations(): string[] {
    return this.dep.nats?.violations() ?? [];
  }

  /** Starts another control-plane service of this fleet (e.g. backup). */
  startService(name: string, extra: Record<string, string> = {}): Promise<ServiceProcess> {
    this.serviceEnv.set(name, extra);
    return this.launch(name, extra);
  }

  /**
   * Starts a service again with the settings startService last gave it (after a kill); `once`
   * adds settings for this start only (e.g. another NATS_URL).
   */
  restartService(name: string, once: Record<string, string> = {}): Promise<ServiceProcess> {
    const extra = this.serviceEnv.get(name);
    if (!extra) throw new Error(`${name} was never started in this fleet`);
    return this.launch(name, { ...extra, ...once });
  }

  private async launch(name: string, extra: Record<string, string>): Promise<ServiceProcess> {
    const p = await startService(name, { ...this.env(name), ...extra });
    this.procs.push(p);
    return p;
  }

  async startScheduler(extra: Record<string, string> = {}): Promise<ServiceProcess> {
    const p = await startService('scheduler', {
      ...this.env('scheduler'),
      SCHEDULER_LOCK_LEASE: '3s',
      SCHEDULER_RECONCILE_INTERVAL: '250ms',
      SCHEDULER_NODE_LOST_AFTER: '5s',
      ...extra,
    });
    this.procs.push(p);
    return p;
  }

  /** Publishes `version` of the demo app as `component`; `security` / `hotfix` go into its signed metadata. */
  publish(
    version: string,
    options: DemoArtifactOptions & { security?: boolean; hotfix?: boolean } = {},
    component = 'demo',
  ) {
    const { security, hotfix, ...artifact } = options;
    return this.writer.publish({
      store: this.store,
      component,
      artifact: buildDemoArtifact(version, artifact),
      version,
      channel: 'stable',
      keys: this.keys,
      security,
      hotfix,
    });
  }

  /** Starts agents node-1..node-n (node-1 labelled group=canary); `envFor` adds settings per node. */
  async addNodes(n: number, envFor: (id: string) => Record<string, string> = () => ({})): Promise<FleetNode[]> {
    const started = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const id = `node-${this.nodes.length + i + 1}`;
        const appPort = await freePort();
        const dir = join(this.work, id);
        if (this.dep.nats && !TEST_NODES.includes(id))
          throw new Error(`a fleet on its own NATS has users for ${TEST_NODES.join(', ')} only`);
        const env = {
          ...this.env(`agent-${id}`),
          NODE_ID: id,
          NODE_LABELS: id === 'node-1' ? 'group=canary' : 'group=main',
          AGENT_DIR: dir,
          AGENT_COMPONENT: 'demo',
          AGENT_SERVICE_MANAGER: 'supervise',
          AGENT_SUPERVISE_COMMAND: 'node server.js',
          APP_PORT: String(appPort),
          AGENT_TRUSTED_ROOT: this.rootPath,
          AGENT_HEARTBEAT: '500ms',
          AGENT_HEALTH_INTERVAL: '50ms',
          AGENT_MIN_FREE_DISK: '1MiB',
          ...envFor(id),
        };
        this.nodeEnv.set(id, env);
        const proc = await startService('installer', env);
        this.procs.push(proc);
        const version = async () => {
          try {
            const res = await fetch(`http://127.0.0.1:${appPort}/`, { signal: AbortSignal.timeout(1000) });
            return res.ok ? (await res.text()).match(/\d+\.\d+\.\d+/)?.[0] : undefined;
          } catch {
            return undefined;
          }
        };
        return { id, appPort, dir, proc, version };
      }),
    );
    this.nodes.push(...started);
    return started;
  }

  /**
   * Starts a new agent process for a node, with the settings and directory it was first
   * started with (after a kill: the new agent finishes or undoes what the old one left).
   * An agent still running is killed with `signal` first. `extraEnv` changes its settings from
   * now on (e.g. a preflight it can never pass).
   */
  async restartNode(
    id: string,
    signal: NodeJS.Signals = 'SIGTERM',
    extraEnv: Record<string, string> = {},
  ): Promise<FleetNode> {
    const node = this.nodes.find((n) => n.id === id);
    const before = this.nodeEnv.get(id);
    const env = before && { ...before, ...extraEnv };
    if (env) this.nodeEnv.set(id, env);
    if (!node || !env)
      throw new Error(`no node ${id} in this fleet (nodes: ${this.nodes.map((n) => n.id).join(', ')})`);
    await node.proc.kill(signal);
    node.proc = await startService('installer', env);
    this.procs.push(node.proc);
    return node;
  }

  /** Asks the scheduler for a rollout; throws with its message when refused. */
  async rollout(body: Record<string, unknown>): Promise<string> {
    const reply = await this.dep.queries.send<QueryReply<{ rolloutId?: string }>>(
      Queries.RolloutCreate,
      {
        component: 'demo',
        minHealthyMs: 300,
        healthyDeadlineMs: 10_000,
        progressDeadlineMs: 30_000,
        actor: systemActor('e2e-fleet'),
        ...body,
      },
      130_000,
    );
    if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
    return reply.result.rolloutId!;
  }

  /** Waits until the rollout reaches one of the states; returns its row. */
  async waitForState(
    rolloutId: string,
    states: string[],
    timeoutMs = 90_000,
  ): Promise<{ state: string; reason: string | null }> {
    return waitFor(
      async () => {
        const { rows } = await this.dep.pg.query(`SELECT state, reason FROM rollouts WHERE id = $1`, [rolloutId]);
        return states.includes(rows[0]?.state) ? rows[0] : undefined;
      },
      { timeoutMs, intervalMs: 100, what: `rollout ${rolloutId} to reach ${states.join('/')}` },
    );
  }

  async nodeRows(
    rolloutId: string,
  ): Promise<Array<{ node_id: string; status: string; batch: number; error: string | null }>> {
    return (
      await this.dep.pg.query(
        `SELECT node_id, status, batch, error FROM rollout_nodes WHERE rollout_id = $1 ORDER BY batch, node_id`,
        [rolloutId],
      )
    ).rows;
  }

  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.kill('SIGTERM')));
    await this.dep.close();
    await this.s3.stop(true);
    rmSync(this.work, { recursive: true, force: true });
  }
}
