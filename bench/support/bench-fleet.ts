/**
 * The world bench:rollout runs in: a fresh Postgres database and NATS namespace, s3rver (its
 * own process) with a TUF repository of a tiny component, the checker and one scheduler as
 * processes, and the agents hosted by a few `agent-host` processes (one NATS connection each).
 * Talks to it the way an operator and the conductor do: rollouts over the RolloutCreate query,
 * install commands straight onto the agents' JetStream subjects.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Client } from 'pg';
import {
  NodeSubjects,
  Queries,
  Subjects,
  systemActor,
  type InstallCommandV1,
  type QueryReply,
  type ReleaseInfoReplyV1,
  type RolloutChangedV1,
} from '@lockstep/contracts';
import { natsSettingsEnv, type NatsConnectionSettings } from '@lockstep/config';
import { FleetLock } from '@lockstep/fleet-lock';
import { connectNats, QueryClient } from '@lockstep/messaging';
import { TufRepositoryWriter, generateKeySet, trustedRootFor } from '@lockstep/releases';
import { MinioObjectStore } from '@lockstep/storage';
import {
  createTestDatabase,
  startService,
  uniqueName,
  writeTarGz,
  type ServiceProcess,
  type TestDatabase,
} from '@lockstep/testing';
import type { AgentHostSettings } from './agent-host';
import { InstallTimeline } from './install-timeline';
import { startLineChild, type LineChild } from './line-child';

/** Component every bench agent runs. */
export const BENCH_COMPONENT = 'benchapp';
const FINAL_STATES = ['succeeded', 'failed', 'aborted', 'rolled_back'];

/** Settings of one fleet. */
export interface BenchFleetOptions {
  /** NATS servers, credentials and TLS, handed on to every process the bench starts. */
  nats: NatsConnectionSettings;
  nodes: number;
  agentsPerProcess: number;
  /** Versions published into the TUF repository before anything starts. */
  versions: string[];
  /** Where the agents' app directories go (default: the OS temp dir). */
  agentRoot?: string;
  log: (line: string) => void;
}

/** A finished rollout, and where its time went as the agents' events show it. */
export interface RolloutRun {
  id: string;
  state: string;
  reason: string | null;
  /** Create request sent → final state's rollout.changed event, in seconds. */
  seconds: number;
  /** Create request sent → first progress event of the first batch (ms). */
  startMs: number;
  /** Per batch: its first progress event → its last install.finished (ms): the agents' part. */
  batchMs: number[];
  /** Per batch but the last: its last install.finished → the next batch's first progress event (ms). */
  betweenMs: number[];
  /** Last install.finished → final state's event (ms). */
  endMs: number;
  /** Installs that took over SLOW_INSTALL_MS from their first progress event (with the time of each step) or started that late in their batch: where a stray slow batch comes from. */
  slow: string[];
}

/** An install this long stands out in a batch of 300–600 ms. */
const SLOW_INSTALL_MS = 1500;

/** One conductor-less batch. */
export interface DirectBatch {
  /** Commands published → last install.finished arrived (ms). */
  ms: number;
  /** Commands published → first progress event (ms). */
  firstStartMs: number;
  /** Per install step, milliseconds summed over the batch's nodes. */
  steps: Record<string, number>;
}

/** A tiny release: a few small files, no migrate hook. */
function tinyArtifact(version: string): Buffer {
  return writeTarGz([
    { path: 'VERSION', data: `${version}\n` },
    { path: 'app.js', data: `// ${BENCH_COMPONENT} ${version}\nconsole.log('${BENCH_COMPONENT} ${version}');\n` },
    {
      path: 'config.defaults.json',
      data: `${JSON.stringify({ greeting: 'hello', [`since-${version}`]: true }, null, 2)}\n`,
    },
    { path: 'static', type: 'dir' },
    { path: 'static/index.html', data: `<p>${BENCH_COMPONENT} ${version}</p>\n` },
  ]);
}

/** Node ids n001…, zero-padded so the planner's id order is numeric order. */
export const nodeIds = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `n${String(i + 1).padStart(String(n).length, '0')}`);

const min = (xs: number[]) => xs.reduce((a, b) => Math.min(a, b), Infinity);
const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), -Infinity);

export class BenchFleet {
  readonly namespace = uniqueName('bench');
  readonly bucket = uniqueName('bench-');
  readonly ids: string[];
  /** Undone in reverse order by stop(). */
  private readonly cleanups: Array<() => Promise<unknown>> = [];
  private readonly work = mkdtempSync(join(tmpdir(), 'lockstep-bench-'));
  private readonly agentRoot: string;
  private db!: TestDatabase;
  private s3!: { endpoint: string; accessKey: string; secretKey: string };
  private nc!: NatsConnection;
  private queries!: QueryClient;
  private pg!: Client;
  private scheduler?: ServiceProcess;

  constructor(private readonly options: BenchFleetOptions) {
    this.ids = nodeIds(options.nodes);
    this.agentRoot = mkdtempSync(join(options.agentRoot ?? tmpdir(), 'lockstep-bench-agents-'));
    this.cleanups.push(
      async () => rmSync(this.work, { recursive: true, force: true }),
      async () => rmSync(this.agentRoot, { recursive: true, force: true }),
    );
  }

  private get env(): Record<string, string> {
    return {
      DATABASE_URL: this.db.url,
      ...natsSettingsEnv(this.options.nats),
      NATS_NAMESPACE: this.namespace,
      S3_ENDPOINT: this.s3.endpoint,
      S3_ACCESS_KEY: this.s3.accessKey,
      S3_SECRET_KEY: this.s3.secretKey,
      S3_BUCKET: this.bucket,
      LOG_LEVEL: 'warn',
    };
  }

  /** Starts everything; the agents are registered and consuming when it resolves. */
  async start(): Promise<void> {
    const { log } = this.options;
    this.db = await createTestDatabase('lockstep_bench');
    this.cleanups.push(() => this.db.drop());
    const s3 = await startLineChild<{ endpoint: string; accessKey: string; secretKey: string }>(
      's3-server',
      {},
      (pid) => `s3rver ${pid}`,
    );
    this.cleanups.push(() => s3.stop(10_000));
    this.s3 = s3.ready;
    this.nc = await connectNats(this.options.nats, { name: 'bench-rollout' });
    this.cleanups.push(
      () => this.nc.close(),
      () => this.deleteNamespace(),
    );
    this.queries = new QueryClient(this.namespace, this.options.nats);
    this.cleanups.push(() => this.queries.close());
    log(`database ${this.db.name}, NATS namespace ${this.namespace}, s3rver ${this.s3.endpoint} bucket ${this.bucket}`);

    const store = new MinioObjectStore({ ...this.s3, bucket: this.bucket });
    await store.ensureBucket();
    const writer = new TufRepositoryWriter();
    const keys = generateKeySet();
    let bytes = 0;
    for (const version of this.options.versions) {
      const artifact = tinyArtifact(version);
      bytes = artifact.length;
      await writer.publish({ store, component: BENCH_COMPONENT, artifact, version, channel: 'stable', keys });
    }
    const root = await trustedRootFor(store, BENCH_COMPONENT);
    const rootPath = join(this.work, 'root.json');
    writeFileSync(rootPath, root);
    log(
      `TUF repository of ${BENCH_COMPONENT}: ${this.options.versions.join(', ')} (${bytes}-byte artifacts of 5 entries)`,
    );

    const checker = await startService('checker', { ...this.env, CHECKER_CHECK_ON_START: 'false' });
    this.cleanups.push(() => checker.kill('SIGTERM'));
    const reply = await this.queries.send<QueryReply<unknown>>(Queries.ComponentUpsert, {
      name: BENCH_COMPONENT,
      sourceType: 'tuf',
      currentVersion: null,
      sourceConfig: { mode: 's3', trustedRoot: root.toString() },
      actor: systemActor('bench'),
    });
    if (!reply.ok) throw new Error(`the checker refused the component: ${reply.error.message}`);
    const scheduler = await startService('scheduler', {
      ...this.env,
      SCHEDULER_LOCK_LEASE: '15s',
      SCHEDULER_RECONCILE_INTERVAL: '250ms',
      SCHEDULER_NODE_LOST_AFTER: '30s',
    });
    this.scheduler = scheduler;
    this.cleanups.push(() => scheduler.kill('SIGTERM'));
    this.pg = new Client({ connectionString: this.db.url });
    await this.pg.connect();
    this.cleanups.push(() => this.pg.end());
    log(`checker and scheduler running (pids ${checker.proc.pid}, ${scheduler.proc.pid})`);

    await this.startAgents(rootPath);
  }

  /** Agents go round-robin over the processes, so every batch of consecutive ids spans all of them. */
  private async startAgents(rootPath: string): Promise<void> {
    const processes = Math.ceil(this.ids.length / this.options.agentsPerProcess);
    const started = Date.now();
    const hosts: Array<LineChild<{ ready: number }>> = [];
    this.cleanups.push(() => Promise.all(hosts.map((h) => h.stop())));
    await Promise.all(
      Array.from({ length: processes }, async (_, p) => {
        const settings: AgentHostSettings = {
          nats: this.options.nats,
          namespace: this.namespace,
          nodeIds: this.ids.filter((_, i) => i % processes === p),
          root: this.agentRoot,
          component: BENCH_COMPONENT,
          trustedRootPath: rootPath,
          s3: this.s3,
          heartbeatMs: 2000,
          startConcurrency: 10,
        };
        const host = await startLineChild<{ ready: number }>(
          'agent-host',
          { BENCH_AGENT_HOST: JSON.stringify(settings) },
          (pid) => `agent host ${pid} (${settings.nodeIds[0]}…)`,
        );
        hosts.push(host);
        if (host.ready.ready !== settings.nodeIds.length)
          throw new Error(
            `agent host ${host.proc.pid} started ${host.ready.ready} of ${settings.nodeIds.length} agents`,
          );
      }),
    );
    this.options.log(
      `${this.ids.length} agents in ${processes} processes registered and consuming (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  }

  /** Deletes the namespace's streams and KV buckets. */
  private async deleteNamespace(): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    const prefix = `${this.namespace.toUpperCase()}_`;
    const names: string[] = [];
    for await (const s of jsm.streams.list())
      if (s.config.name.startsWith(prefix) || s.config.name.startsWith(`KV_${prefix}`)) names.push(s.config.name);
    for (const name of names) await jsm.streams.delete(name);
  }

  /**
   * Waits until every consumer of the EVENTS stream (the scheduler's) has caught up — after a
   * big rollout the scheduler is still recording progress events for a while — then `restMs`.
   */
  async settle(restMs = 500, timeoutMs = 60_000): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    const stream = `${this.namespace.toUpperCase()}_EVENTS`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let behind = 0;
      for await (const c of jsm.consumers.list(stream)) behind += c.num_pending + c.num_ack_pending;
      if (behind === 0) break;
      if (Date.now() > deadline)
        throw new Error(
          `the scheduler's event consumers are still ${behind} messages behind after ${timeoutMs / 1000} s`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, restMs));
  }

  /** The checker's verified artifact of a version (what the conductor puts into commands). */
  async releaseInfo(version: string): Promise<ReleaseInfoReplyV1> {
    const reply = await this.queries.send<QueryReply<ReleaseInfoReplyV1>>(
      Queries.ReleaseInfo,
      { component: BENCH_COMPONENT, version },
      60_000,
    );
    if (!reply.ok) throw new Error(`release info of ${version}: ${reply.error.message}`);
    return reply.result;
  }

  /**
   * Creates a rollout of every node to `version` and waits for its final state (the
   * rollout.changed event; Postgres is polled as a backstop), watching the install events to
   * tell the agents' time from the conductor's.
   */
  async rollout(version: string, maxParallel: number, timeoutMs: number): Promise<RolloutRun> {
    const finals = new Map<string, { data: RolloutChangedV1; at: number }>();
    let notify = () => undefined as void;
    const sub = this.nc.subscribe(`${this.namespace}.${Subjects.RolloutChanged}`, {
      callback: (err, msg) => {
        if (err) return;
        const at = performance.now();
        const data = msg.json<{ data: RolloutChangedV1 }>().data;
        if (!FINAL_STATES.includes(data.state)) return;
        finals.set(data.rolloutId, { data, at });
        notify();
      },
    });
    const timeline = await InstallTimeline.start(this.nc, this.namespace);
    try {
      await this.nc.flush();
      const { id, t0 } = await this.createRollout(version, maxParallel);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const done = finals.get(id);
        if (done)
          return {
            id,
            state: done.data.state,
            reason: done.data.reason ?? null,
            seconds: (done.at - t0) / 1000,
            ...(await this.phases(id, timeline, t0, done.at)),
          };
        if (Date.now() > deadline)
          throw new Error(
            `rollout ${id} to ${version} did not finish within ${timeoutMs / 1000} s: ${await this.describe(id)}`,
          );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          notify = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (!finals.has(id)) {
          const { rows } = await this.pg.query(`SELECT state FROM rollouts WHERE id = $1`, [id]);
          if (FINAL_STATES.includes(rows[0]?.state))
            this.options.log(`(rollout ${id} is ${rows[0].state} in Postgres; waiting for its event)`);
        }
      }
    } finally {
      sub.unsubscribe();
      timeline.stop();
    }
  }

  /** Batch boundaries of a finished rollout from the agents' events (which node was in which batch from Postgres). */
  private async phases(
    rolloutId: string,
    timeline: InstallTimeline,
    t0: number,
    end: number,
  ): Promise<Omit<RolloutRun, 'id' | 'state' | 'reason' | 'seconds'>> {
    const { rows } = await this.pg.query(`SELECT node_id, batch FROM rollout_nodes WHERE rollout_id = $1`, [rolloutId]);
    const batchOf = new Map<string, number>(rows.map((r) => [r.node_id as string, r.batch as number]));
    const spans = new Map<number, { starts: number[]; ends: number[] }>();
    const slow: string[] = [];
    for (const marks of timeline.commands.values()) {
      const e = marks.finished?.event;
      if (!e || e.rolloutId !== rolloutId || !marks.steps.length) continue;
      if (marks.finished!.at - marks.steps[0].at > SLOW_INSTALL_MS) {
        const points = [...marks.steps, { step: 'finished', at: marks.finished!.at }];
        slow.push(
          `${e.nodeId}: ${points
            .slice(0, -1)
            .map((p, i) => `${p.step} ${(points[i + 1].at - p.at).toFixed(0)}`)
            .join(', ')} ms`,
        );
      }
      const b = batchOf.get(e.nodeId)!;
      const span = spans.get(b) ?? { starts: [], ends: [] };
      span.starts.push(marks.steps[0].at);
      span.ends.push(marks.finished!.at);
      spans.set(b, span);
    }
    const ordered = [...spans.keys()]
      .sort((a, b) => a - b)
      .map((b) => ({ start: min(spans.get(b)!.starts), end: max(spans.get(b)!.ends) }));
    for (const marks of timeline.commands.values()) {
      const e = marks.finished?.event;
      if (!e || e.rolloutId !== rolloutId || !marks.steps.length) continue;
      const late = marks.steps[0].at - min(spans.get(batchOf.get(e.nodeId)!)!.starts);
      if (late > SLOW_INSTALL_MS)
        slow.push(`${e.nodeId} started ${late.toFixed(0)} ms after the first install of its batch`);
    }
    return {
      startMs: ordered[0] ? ordered[0].start - t0 : 0,
      batchMs: ordered.map((b) => b.end - b.start),
      betweenMs: ordered.slice(1).map((b, i) => b.start - ordered[i].end),
      endMs: ordered.length ? end - ordered[ordered.length - 1].end : 0,
      slow,
    };
  }

  /**
   * Sends RolloutCreate; returns the rollout id and when the request that created it was sent.
   * Retries (visibly) only one known scheduler failure: the node list it plans from can hold a
   * node twice when heartbeats update the NODES bucket while it is read (NodeDirectory.list →
   * kv.keys()), and the insert into rollout_nodes then hits its primary key. Nothing was stored.
   */
  private async createRollout(version: string, maxParallel: number): Promise<{ id: string; t0: number }> {
    const body = {
      component: BENCH_COMPONENT,
      version,
      maxParallel,
      canary: 0,
      minHealthyMs: 0,
      healthyDeadlineMs: 10_000,
      progressDeadlineMs: 60_000,
      maxFailures: 0,
      autoRollback: false,
      pauseBetweenBatchesMs: 0,
      actor: systemActor('bench'),
    };
    for (let attempt = 1; ; attempt++) {
      const seen = this.schedulerOutput().length;
      const t0 = performance.now();
      let reply: QueryReply<{ rolloutId?: string }>;
      try {
        reply = await this.queries.send<QueryReply<{ rolloutId?: string }>>(Queries.RolloutCreate, body, 60_000);
      } catch (err) {
        const duplicate = this.schedulerOutput().slice(seen).includes('PK_rollout_nodes');
        if (!duplicate || attempt >= 3)
          throw new Error(`creating the rollout to ${version} failed: ${(err as Error).message}`, { cause: err });
        this.options.log(
          `WARNING: the scheduler could not create the rollout to ${version}: the node list it planned from held a node twice (duplicate key in rollout_nodes; NodeDirectory.list reads the NODES keys while heartbeats rewrite them). Retrying`,
        );
        continue;
      }
      if (!reply.ok)
        throw new Error(`the scheduler refused the rollout to ${version}: ${reply.error.code}: ${reply.error.message}`);
      return { id: reply.result.rolloutId!, t0 };
    }
  }

  /** Node states of a rollout, counted, with an error of each. */
  async describe(rolloutId: string): Promise<string> {
    const { rows } = await this.pg.query(
      `SELECT status, count(*)::int AS n, min(error) AS error FROM rollout_nodes WHERE rollout_id = $1 GROUP BY status`,
      [rolloutId],
    );
    return rows.map((r) => `${r.status}=${r.n}${r.error ? ` (${r.error})` : ''}`).join(', ') || 'no nodes';
  }

  /**
   * One batch's intrinsic work without a conductor: publishes install commands for `nodes` at
   * once on the agents' command subjects (as NodeCommander does) and waits for every
   * install.finished event. Agents obey only the live holder of the cluster lock, so the batch
   * holds it (taken before the clock starts, released after), as the conductor would.
   */
  async directBatch(
    label: string,
    nodes: string[],
    version: string,
    artifact: ReleaseInfoReplyV1['artifact'],
    timeoutMs = 60_000,
  ): Promise<DirectBatch> {
    const js = jetstream(this.nc);
    const commandIds = nodes.map((n) => `${label}.${n}`);
    const waiting = new Set(commandIds);
    const failures: string[] = [];
    const timeline = await InstallTimeline.start(this.nc, this.namespace);
    const lock = await FleetLock.open(this.nc, this.namespace, { holder: 'bench-floor' });
    const lease = await lock.tryAcquire(label);
    if (!lease) throw new Error(`direct batch ${label}: the cluster lock is held (is a rollout still running?)`);
    let timer: NodeJS.Timeout | undefined;
    try {
      const all = new Promise<number>((resolve, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `direct batch ${label}: ${waiting.size} of ${nodes.length} outcomes missing after ${timeoutMs} ms`,
              ),
            ),
          timeoutMs,
        );
        timeline.onFinished((commandId, marks) => {
          if (!waiting.delete(commandId)) return;
          const e = marks.finished!.event;
          if (e.result !== 'succeeded' || e.noop)
            failures.push(`${e.nodeId}: ${e.result}${e.noop ? ' (noop)' : ''}${e.error ? ` ${e.error}` : ''}`);
          if (waiting.size === 0) resolve(marks.finished!.at);
        });
      });
      all.catch(() => undefined); // awaited below; this only keeps an early timeout from going unhandled
      const t0 = performance.now();
      const issuedAt = new Date().toISOString();
      await Promise.all(
        nodes.map((nodeId, i) => {
          const cmd: InstallCommandV1 = {
            commandId: commandIds[i],
            rolloutId: label,
            nodeId,
            component: BENCH_COMPONENT,
            version,
            action: 'install',
            artifact,
            fencingToken: lease.token,
            lockKey: lease.key,
            health: { minHealthyMs: 0, deadlineMs: 10_000 },
            issuedAt,
          };
          return js.publish(`${this.namespace}.${NodeSubjects.install(nodeId)}`, JSON.stringify(cmd), {
            msgID: cmd.commandId,
            timeout: 5000,
          });
        }),
      );
      const end = await all;
      if (failures.length) throw new Error(`direct batch ${label} did not install everywhere: ${failures.join('; ')}`);
      return {
        ms: end - t0,
        firstStartMs: min(commandIds.map((id) => timeline.started(id) ?? Infinity)) - t0,
        steps: timeline.stepTotals(commandIds, t0),
      };
    } finally {
      clearTimeout(timer);
      timeline.stop();
      await lease.release();
    }
  }

  /** Scheduler output so far (for a failure report). */
  schedulerOutput(): string {
    return this.scheduler?.output() ?? '';
  }

  /** Stops and removes everything, last started first; never throws. */
  async stop(): Promise<string[]> {
    const problems: string[] = [];
    for (const undo of this.cleanups.reverse()) {
      try {
        await undo();
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    return problems;
  }
}
