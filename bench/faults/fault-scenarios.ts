import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import { NodeSubjects, Subjects, type InstallStep } from '@lockstep/contracts';
import type { TestFleet } from '../../test/support/fleet';
import { journalStep } from './invariants';

/** What every scenario gets: one fleet shared by the whole run, and a fresh version to roll out. */
export interface FaultContext {
  fleet: TestFleet;
  /** A version no rollout used yet (1.<n>.0), published with padding so every step takes a moment. */
  publishNext(options?: { broken?: boolean }): Promise<string>;
}

/** How a scenario went, for its report line; the runner checks the invariants afterwards. */
export interface FaultRun {
  rolloutId: string;
  /** Where the fault actually landed (e.g. the step the killed agent's journal was at). */
  landed: string;
}

/** One row of the fault matrix. */
export interface FaultScenario {
  name: string;
  run(ctx: FaultContext): Promise<FaultRun>;
}

const FINAL_STATES = ['succeeded', 'failed', 'aborted', 'rolled_back'];
/** A broken release needs this long to fail its health gate; short so a rollback scenario is quick. */
const BROKEN_HEALTH_DEADLINE_MS = 3000;
/** Incompressible padding per release: download, verify and unpack each take a few tens of ms. */
export const PADDING_BYTES = 6 << 20;

export const paddedRelease = () => ({ extra: [{ path: 'padding.bin', data: randomBytes(PADDING_BYTES) }] });

/** Resolves with the first message on `subject` whose JSON satisfies `match`; stops listening then. */
function firstMessage<T>(
  nc: NatsConnection,
  subject: string,
  match: (body: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const sub = nc.subscribe(subject);
  const timer = setTimeout(() => sub.unsubscribe(), timeoutMs);
  return (async () => {
    for await (const m of sub) {
      const body = m.json<T>();
      if (match(body)) {
        clearTimeout(timer);
        sub.unsubscribe();
        return body;
      }
    }
    throw new Error(`no ${what} within ${timeoutMs} ms`);
  })();
}

/**
 * SIGKILL one node's agent as soon as it reports `step` of the scenario's install, start a
 * new agent for the node with the same settings and directory, and let the rollout finish.
 * The kill lands at the step or just after it (the step may be shorter than the event's trip);
 * `landed` says what the node's journal recorded.
 */
function agentKilledAt(step: InstallStep, victimIndex = 1): FaultScenario {
  return {
    name: `agent SIGKILL at ${step}`,
    async run({ fleet, publishNext }) {
      const broken = step === 'rolling_back';
      const version = await publishNext({ broken });
      const victim = fleet.nodes[victimIndex];
      const reached = firstMessage<{ data: { step: string; version: string } }>(
        fleet.dep.nc,
        `${fleet.dep.namespace}.${Subjects.InstallProgress}.${victim.id}`,
        (ev) => ev.data.step === step && ev.data.version === version,
        `${step} progress of ${victim.id}`,
      ).then(() => victim.proc.kill('SIGKILL'));
      const rolloutId = await fleet.rollout({
        version,
        maxParallel: fleet.nodes.length,
        ...(broken ? { healthyDeadlineMs: BROKEN_HEALTH_DEADLINE_MS } : {}),
      });
      await reached;
      const landed = `journal step ${journalStep(victim.dir, version)}`;
      await fleet.restartNode(victim.id);
      await fleet.waitForState(rolloutId, FINAL_STATES);
      return { rolloutId, landed };
    },
  };
}

/** SIGKILL the (only) scheduler right after the first batch's command went out; a new one takes over. */
const schedulerKilledAfterFirstBatch: FaultScenario = {
  name: 'scheduler SIGKILL after the first batch went out',
  async run({ fleet, publishNext }) {
    const version = await publishNext();
    const sent = firstMessage<{ version: string; nodeId: string }>(
      fleet.dep.nc,
      `${fleet.dep.namespace}.${NodeSubjects.install('*')}`,
      (cmd) => cmd.version === version,
      'install command',
    );
    const rolloutId = await fleet.rollout({ version, maxParallel: 1, minHealthyMs: 800 });
    const first = await sent;
    const live = fleet.procs.filter((p) => p.name === 'scheduler' && p.proc.exitCode === null && !p.proc.signalCode);
    await Promise.all(live.map((p) => p.kill('SIGKILL')));
    await fleet.startScheduler();
    await fleet.waitForState(rolloutId, FINAL_STATES);
    return { rolloutId, landed: `after the command to ${first.nodeId}, ${live.length} scheduler(s) killed` };
  },
};

/** Install steps an agent reports as progress, each a kill point (pre-update backup: later). */
const AGENT_KILL_STEPS: InstallStep[] = [
  'downloading',
  'verifying',
  'unpacking',
  'swapping',
  'restarting',
  'health_check',
  'rolling_back',
];

/** The fault matrix this runner knows, in the order it runs them. */
export const FAULT_SCENARIOS: FaultScenario[] = [
  ...AGENT_KILL_STEPS.map((step) => agentKilledAt(step)),
  schedulerKilledAfterFirstBatch,
];
