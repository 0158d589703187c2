import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Streams, Subjects, type InstallStep } from '@lockstep/contracts';
import { nodesBucketName } from '@lockstep/messaging';
import { waitFor, type NatsClusterHandle, type NatsServerHandle } from '@lockstep/testing';
import type { FleetNode, TestFleet } from '../../test/support/fleet';
import { faultDuringRestore } from './fault-scenarios';
import { firstMessage, outcomeOf, type FaultScenario, type FleetKind } from './scenario-kit';
import { backupHolderStoppedDuringPrune } from './backup-lock-scenarios';
import { journalStep } from './invariants';

/**
 * Outages of what the control plane stands on (issue 12): Postgres, S3, a NATS server. Each
 * one is real (the server is stopped, connections are cut) and private to the fault matrix:
 * the fleet's own Postgres cluster (private-infra.ts) and its own s3rver, never the machine's
 * shared servers.
 */

/**
 * Redelivery delays of the fleets' event consumers: the default's shape (500ms,2s,10s,30s,60s),
 * about 17 times shorter, so an outage "longer than the budget" takes seconds, not minutes.
 */
const REDELIVERY_BACKOFF_MS = [200, 500, 1000, 2000, 3000];
/** Deliveries before a failing handler's event is dead-lettered (MessagingOptions.maxDeliver). */
const MAX_DELIVER = 8;
/**
 * How long an event's handler may keep failing before its last delivery dead-letters it:
 * 12.7 s with the delays above. It stands for the default budget (0.5+2+10+30+60·3 s, about
 * four minutes; the "six minutes"), which an outage used to exhaust before outages
 * stopped counting toward dead-lettering.
 */
const REDELIVERY_BUDGET_MS = Array.from(
  { length: MAX_DELIVER - 1 },
  (_, i) => REDELIVERY_BACKOFF_MS[Math.min(i, REDELIVERY_BACKOFF_MS.length - 1)],
).reduce((a, b) => a + b, 0);
/** A Postgres outage outlasts the budget by this much. */
const POSTGRES_OUTAGE_MS = REDELIVERY_BUDGET_MS + 7000;

/** Settings every process of a fault-matrix fleet gets (the redelivery delays above). */
export const OUTAGE_FLEET_ENV = { EVENT_REDELIVERY_BACKOFF: REDELIVERY_BACKOFF_MS.map((ms) => `${ms}ms`).join(',') };

const sleep = (ms: number) => new Promise<undefined>((r) => setTimeout(() => r(undefined), Math.max(0, ms)));

/** Messages in the namespace's DEAD_LETTERS stream (0 when nobody created it yet). */
async function deadLetterCount(fleet: TestFleet): Promise<number> {
  const jsm = await jetstreamManager(fleet.dep.nc);
  const info = await jsm.streams
    .info(`${fleet.dep.namespace.toUpperCase()}_${Streams.DeadLetters.name}`)
    .catch(() => undefined);
  return info?.state.messages ?? 0;
}

/** A finding when the scenario dead-lettered events (an outage must delay events, never drop them). */
async function deadLettered(fleet: TestFleet, before: number): Promise<string[]> {
  const added = (await deadLetterCount(fleet)) - before;
  return added > 0 ? [`${added} event(s) dead-lettered during the outage`] : [];
}

interface Progress {
  data: { step: string; version: string; nodeId: string };
}

/** Arms a wait for the first node (of `nodeId`, or any) to report `step` of an install of `version`. */
const progressAt = (fleet: TestFleet, step: InstallStep, version: string, nodeId = '*') =>
  firstMessage<Progress>(
    fleet.dep.nc,
    `${fleet.dep.namespace}.${Subjects.InstallProgress}.${nodeId}`,
    (ev) => ev.data.step === step && ev.data.version === version,
    `${step} progress of ${nodeId === '*' ? 'a node' : nodeId} for ${version}`,
  );

/** Counts the install outcomes of `version` the agents publish from now on. */
function countOutcomes(fleet: TestFleet, version: string): { count(): number; stop(): void } {
  let n = 0;
  const sub = fleet.dep.nc.subscribe(`${fleet.dep.namespace}.${Subjects.InstallFinished}.*`, {
    callback: (_err, m) => {
      if (m.json<{ data: { version: string } }>().data.version === version) n++;
    },
  });
  return { count: () => n, stop: () => sub.unsubscribe() };
}

/**
 * Postgres stopped (pg_ctl stop -m fast) as soon as a node downloads, for longer than the
 * redelivery budget, while the agents go on and report their outcomes, which the scheduler
 * cannot record until Postgres is back, while the notifier owes the fleet's webhook the
 * rollout's events. The rollout must then complete with no event dead-lettered, and the
 * runner checks each event reached the webhook exactly once. (Its progress deadline is raised above the outage: a deadline that expires
 * during an outage is a different fault.)
 */
const postgresDownDuringRollout: FaultScenario = {
  name: 'Postgres stopped past the redelivery budget during a rollout and its webhook deliveries',
  fleet: 'plain',
  async run({ fleet, infra: { postgres }, publishNext }) {
    const deadBefore = await deadLetterCount(fleet);
    const version = await publishNext();
    const downloading = progressAt(fleet, 'downloading', version);
    const outcomes = countOutcomes(fleet, version);
    try {
      const rolloutId = await fleet.rollout({ version, maxParallel: 2, progressDeadlineMs: 120_000 });
      const first = await downloading;
      fleet.dep.pg.on('error', () => undefined); // its connection dies with the server; reconnected below
      await postgres.stop();
      const downAt = Date.now();
      // The outage is the fault itself, not a wait for something: it lasts past the budget.
      await sleep(POSTGRES_OUTAGE_MS - (Date.now() - downAt));
      const during = outcomes.count();
      await postgres.start();
      const downS = ((Date.now() - downAt) / 1000).toFixed(0);
      await fleet.reconnectPostgres();
      const outcome = await outcomeOf(fleet, rolloutId, first.data.nodeId);
      return {
        rolloutIds: [rolloutId],
        landed: `Postgres down ${downS} s from ${first.data.nodeId} downloading (budget ${REDELIVERY_BUDGET_MS / 1000} s), ${during} outcome(s) sent meanwhile; ${outcome}`,
        findings: await deadLettered(fleet, deadBefore),
      };
    } finally {
      outcomes.stop();
      if (!postgres.running) await postgres.start();
    }
  },
};

/** An S3 outage lasts until the struck node's command has an outcome, at least this long… */
const S3_OUTAGE_MIN_MS = 2000;
/** …and at most this long (an agent that waits S3 out gets it back). */
const S3_OUTAGE_MAX_MS = 10_000;

/**
 * Arms an S3 outage: the fleet's S3 server is killed (transfers in flight break off) as soon as
 * `victim` reports `step` of a command for `version`, and started again on the same port and
 * data once that command has an outcome (within the bounds above). Resolves with where the
 * outage landed, once S3 is back.
 */
function s3DownAt(fleet: TestFleet, victim: FleetNode, step: InstallStep, version: string): Promise<string> {
  const outcome = firstMessage<{ data: { version: string; result: string } }>(
    fleet.dep.nc,
    `${fleet.dep.namespace}.${Subjects.InstallFinished}.${victim.id}`,
    (ev) => ev.data.version === version,
    `an outcome of ${victim.id} for ${version}`,
    120_000,
  );
  const landed = progressAt(fleet, step, version, victim.id).then(async () => {
    await fleet.killS3();
    const downAt = Date.now();
    const at = journalStep(victim.dir, version);
    const result = await Promise.race([outcome.then((ev) => ev.data.result), sleep(S3_OUTAGE_MAX_MS)]);
    await sleep(S3_OUTAGE_MIN_MS - (Date.now() - downAt));
    await fleet.restartS3();
    const downS = ((Date.now() - downAt) / 1000).toFixed(1);
    return `S3 down ${downS} s from ${victim.id} at ${at}, its command ${result ?? 'still running'} meanwhile`;
  });
  landed.catch(() => undefined); // awaited by the scenario unless it failed before
  return landed;
}

/** S3 killed while one node installs a release at `step`; every node installs at once. */
function s3DownDuringInstall(step: InstallStep, what: string, fleet: FleetKind): FaultScenario {
  return {
    name: `S3 killed during ${what}`,
    fleet,
    async run({ fleet, publishNext }) {
      const version = await publishNext();
      const victim = fleet.nodes[1];
      const outage = s3DownAt(fleet, victim, step, version);
      const rolloutId = await fleet.rollout({ version, maxParallel: fleet.nodes.length });
      const landed = await outage;
      return { rolloutIds: [rolloutId], landed: `${landed}; ${await outcomeOf(fleet, rolloutId, victim.id)}` };
    },
  };
}

/** S3 killed while one node restores its data (rollback --restore-data). */
const s3DownDuringRestore = faultDuringRestore(
  'S3 killed during a data restore (rollback --restore-data)',
  (fleet, victim, fromVersion) => s3DownAt(fleet, victim, 'restoring_data', fromVersion),
);

/** The leader of the namespace's EVENTS stream (the server whose death moves the most), by its server name. */
async function eventsLeader(fleet: TestFleet, nats: NatsClusterHandle): Promise<NatsServerHandle> {
  const jsm = await jetstreamManager(fleet.dep.nc);
  const info = await jsm.streams.info(`${fleet.dep.namespace.toUpperCase()}_${Streams.Events.name}`);
  return nats.servers.find((s) => s.name === info.cluster?.leader) ?? nats.servers[0];
}

/** Waits until the EVENTS stream has all its replicas again and every one is current (the restarted server caught up). */
async function eventsReplicasCurrent(fleet: TestFleet): Promise<void> {
  const jsm = await jetstreamManager(fleet.dep.nc);
  const name = `${fleet.dep.namespace.toUpperCase()}_${Streams.Events.name}`;
  await waitFor(
    async () => {
      const replicas = (await jsm.streams.info(name)).cluster?.replicas ?? [];
      return replicas.length === 2 && replicas.every((r) => r.current && !r.offline);
    },
    { timeoutMs: 30_000, intervalMs: 200, what: `every replica of ${name} to be current` },
  );
}

/** Nodes whose heartbeat (their entry in the nodes bucket) was not written since `since`. */
async function silentSince(fleet: TestFleet, since: Date): Promise<string[]> {
  const bucket = await new Kvm(fleet.dep.nc).open(nodesBucketName(fleet.dep.namespace));
  const silent: string[] = [];
  for (const node of fleet.nodes) {
    const written = (await bucket.get(node.id))?.created;
    if (!written || written <= since) silent.push(node.id);
  }
  return silent;
}

/**
 * Gives the backup catalogue (fed by events through a durable consumer, which finds the
 * stream's new leader after a failover) a bounded time to record the rollout's backups as
 * finished; the invariants then judge what it has. Says how long it took.
 */
async function catalogueCaughtUp(fleet: TestFleet, rolloutId: string): Promise<string> {
  const t0 = Date.now();
  const creating = async () =>
    (
      await fleet.dep.pg.query(`SELECT count(*)::int AS n FROM backups WHERE rollout_id = $1 AND status = 'creating'`, [
        rolloutId,
      ])
    ).rows[0].n as number;
  await waitFor(async () => (await creating()) === 0, { timeoutMs: CATALOGUE_LAG_MS, intervalMs: 200 }).catch(
    () => undefined,
  );
  return `backup catalogue settled ${((Date.now() - t0) / 1000).toFixed(1)} s after the rollout`;
}

/** How long the backup catalogue may lag behind a NATS failover. */
const CATALOGUE_LAG_MS = 30_000;

/**
 * One of the three NATS servers (the EVENTS stream's leader) SIGKILLed as soon as a node
 * reports `step`, while commands, install events and heartbeats flow through the cluster;
 * the rollout must finish on the two left, heartbeats must keep coming, and nothing may be
 * dead-lettered. The server is started again afterwards and caught up, for the next scenario.
 */
function natsServerKilledAt(step: InstallStep, what: string): FaultScenario {
  return {
    name: `one of three NATS servers killed ${what}`,
    fleet: 'cluster',
    async run({ fleet, infra, publishNext }) {
      if (!infra.nats) throw new Error('a cluster fleet runs on a NATS cluster of its own; this one has none');
      const deadBefore = await deadLetterCount(fleet);
      const version = await publishNext();
      const reached = progressAt(fleet, step, version);
      const rolloutId = await fleet.rollout({ version, maxParallel: 2, progressDeadlineMs: 90_000 });
      const first = await reached;
      const victim = await eventsLeader(fleet, infra.nats);
      await victim.kill('SIGKILL');
      const killedAt = new Date();
      const outcome = await outcomeOf(fleet, rolloutId, first.data.nodeId);
      const silent = await silentSince(fleet, killedAt);
      await victim.restart();
      await eventsReplicasCurrent(fleet);
      const caughtUp = await catalogueCaughtUp(fleet, rolloutId);
      return {
        rolloutIds: [rolloutId],
        landed: `${victim.name} (EVENTS leader) killed at ${first.data.nodeId} ${step}; ${outcome}; ${caughtUp}`,
        findings: [
          ...silent.map((id) => `${id} sent no heartbeat after the NATS server died`),
          ...(await deadLettered(fleet, deadBefore)),
        ],
      };
    },
  };
}

/** The outage scenarios, run after the process-kill ones. */
export const OUTAGE_SCENARIOS: FaultScenario[] = [
  postgresDownDuringRollout,
  s3DownDuringInstall('downloading', 'an artifact download', 'plain'),
  s3DownDuringInstall('backing_up', 'a pre-update backup', 'backup'),
  s3DownDuringRestore,
  backupHolderStoppedDuringPrune,
  natsServerKilledAt('downloading', 'during a rollout (install events, heartbeats)'),
  natsServerKilledAt('backing_up', 'during a pre-update backup'),
];
