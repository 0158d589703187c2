import { jetstreamManager } from '@nats-io/jetstream';
import { Streams, Subjects, type InstallStep } from '@lockstep/contracts';
import type { FleetNode, TestFleet } from '../../test/support/fleet';
import {
  firstMessage,
  outcomeOf,
  rollbackRestoringData,
  rolloutWithBackups,
  type FaultScenario,
  type FleetKind,
} from './fault-scenarios';
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
 * cannot record until Postgres is back. The rollout must then complete with no event
 * dead-lettered. (Its progress deadline is raised above the outage: a deadline that expires
 * during an outage is a different fault.)
 */
const postgresDownDuringRollout: FaultScenario = {
  name: 'Postgres stopped past the redelivery budget during a rollout',
  fleet: 'plain',
  async run({ fleet, postgres, publishNext }) {
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

/** A rollout that succeeded, then `rollback --restore-data` of it with S3 killed while one node restores its data. */
const s3DownDuringRestore: FaultScenario = {
  name: 'S3 killed during a data restore (rollback --restore-data)',
  fleet: 'backup',
  async run({ fleet, publishNext }) {
    const forward = await rolloutWithBackups(fleet, publishNext);
    const victim = fleet.nodes[1];
    const outage = s3DownAt(fleet, victim, 'restoring_data', forward.fromVersion);
    const back = await rollbackRestoringData(fleet, forward.rolloutId);
    const landed = await outage;
    return { rolloutIds: [forward.rolloutId, back], landed: `${landed}; ${await outcomeOf(fleet, back, victim.id)}` };
  },
};

/** The outage scenarios, run after the process-kill ones. */
export const OUTAGE_SCENARIOS: FaultScenario[] = [
  postgresDownDuringRollout,
  s3DownDuringInstall('downloading', 'an artifact download', 'plain'),
  s3DownDuringInstall('backing_up', 'a pre-update backup', 'backup'),
  s3DownDuringRestore,
];
