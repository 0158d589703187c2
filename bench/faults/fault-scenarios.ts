import { renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { NodeSubjects, Queries, Subjects, systemActor, type InstallStep, type QueryReply } from '@lockstep/contracts';
import type { FleetNode, TestFleet } from '../../test/support/fleet';
import { journalStep } from './invariants';
import {
  firstMessage,
  outcomeOf,
  succeededRollout,
  type FaultContext,
  type FaultScenario,
  type FleetKind,
} from './scenario-kit';

// the shared kit, for the scenario files and the runner that import it from here
export {
  firstMessage,
  outcomeOf,
  paddedRelease,
  settle,
  succeededRollout,
  type FaultContext,
  type FaultRun,
  type FaultScenario,
  type FleetKind,
} from './scenario-kit';

/** A broken release needs this long to fail its health gate; short so a rollback scenario is quick. */
const BROKEN_HEALTH_DEADLINE_MS = 3000;

/**
 * Arms a SIGKILL of one node's agent for the moment it reports `step` of a command for
 * `version`; resolves once the agent is dead, with the step its journal recorded (the kill
 * lands at the step or just after it: a step can be shorter than the event's trip).
 */
function killAgentAt(fleet: TestFleet, node: FleetNode, step: InstallStep, version: string): Promise<string> {
  const killed = firstMessage<{ data: { step: string; version: string } }>(
    fleet.dep.nc,
    `${fleet.dep.namespace}.${Subjects.InstallProgress}.${node.id}`,
    (ev) => ev.data.step === step && ev.data.version === version,
    `${step} progress of ${node.id}`,
  )
    .then(() => node.proc.kill('SIGKILL'))
    .then(() => `journal at ${journalStep(node.dir, version)}`);
  killed.catch(() => undefined); // awaited by the scenario unless it failed before
  return killed;
}

/**
 * SIGKILL one node's agent as soon as it reports `step` of the scenario's install, start a
 * new agent for the node with the same settings and directory, and let the rollout finish.
 */
function agentKilledAt(step: InstallStep, fleetKind: FleetKind = 'plain', victimIndex = 1): FaultScenario {
  return {
    name: `agent SIGKILL at ${step}${fleetKind === 'backup' ? ' (backups on)' : ''}`,
    fleet: fleetKind,
    async run({ fleet, publishNext }) {
      const broken = step === 'rolling_back';
      const version = await publishNext({ broken });
      const victim = fleet.nodes[victimIndex];
      const killed = killAgentAt(fleet, victim, step, version);
      const rolloutId = await fleet.rollout({
        version,
        maxParallel: fleet.nodes.length,
        ...(broken ? { healthyDeadlineMs: BROKEN_HEALTH_DEADLINE_MS } : {}),
      });
      const landed = await killed;
      await fleet.restartNode(victim.id);
      return { rolloutIds: [rolloutId], landed: `${landed}; ${await outcomeOf(fleet, rolloutId, victim.id)}` };
    },
  };
}

/**
 * A rollout that succeeds (each node backs up first), then `rollback --restore-data` of it with
 * a fault armed for the moment one node restores its pre-update backup: `arm` resolves with
 * where the fault landed, once the scenario may go on.
 */
export function faultDuringRestore(
  name: string,
  arm: (fleet: TestFleet, victim: FleetNode, fromVersion: string) => Promise<string>,
): FaultScenario {
  return {
    name,
    fleet: 'backup',
    async run({ fleet, publishNext }) {
      const forward = await rolloutWithBackups(fleet, publishNext);
      const victim = fleet.nodes[1];
      const fault = arm(fleet, victim, forward.fromVersion);
      const back = await rollbackRestoringData(fleet, forward.rolloutId);
      const landed = await fault;
      return {
        rolloutIds: [forward.rolloutId, back],
        landed: `${landed}; ${await outcomeOf(fleet, back, victim.id)}`,
      };
    },
  };
}

/** The agent SIGKILLed while it restores its data; a new agent finishes or undoes the restore. */
const agentKilledRestoringData = faultDuringRestore(
  'agent SIGKILL at restoring_data (rollback --restore-data)',
  async (fleet, victim, fromVersion) => {
    const landed = await killAgentAt(fleet, victim, 'restoring_data', fromVersion);
    await fleet.restartNode(victim.id);
    return landed;
  },
);

/**
 * Rolls a new version out to every node (each backs up first) and waits for success; returns
 * the rollout and the version it replaced. A fleet an earlier scenario left on mixed versions
 * (a restore that failed on one node) is levelled by one rollout first: a rollback restores
 * one previous version only.
 */
async function rolloutWithBackups(
  fleet: TestFleet,
  publishNext: FaultContext['publishNext'],
): Promise<{ rolloutId: string; fromVersion: string }> {
  if (new Set(await Promise.all(fleet.nodes.map((n) => n.version()))).size > 1)
    await succeededRollout(fleet, publishNext);
  const { rolloutId } = await succeededRollout(fleet, publishNext);
  const { rows } = await fleet.dep.pg.query(`SELECT from_version FROM rollout_nodes WHERE rollout_id = $1 LIMIT 1`, [
    rolloutId,
  ]);
  return { rolloutId, fromVersion: rows[0].from_version };
}

/** `rollback --restore-data` of a rollout, every node at once; returns the rollback's rollout id. */
async function rollbackRestoringData(fleet: TestFleet, rolloutId: string): Promise<string> {
  const reply = await fleet.dep.queries.send<QueryReply<{ rolloutId: string }>>(
    Queries.RollbackCreate,
    { rolloutId, restoreData: true, maxParallel: fleet.nodes.length, actor: systemActor('faults') },
    130_000,
  );
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result.rolloutId;
}

/**
 * SIGKILLs every live scheduler and starts a new one (which takes the rollout over after the
 * lease) with the fleet's scheduler settings and `extra`.
 */
export async function replaceScheduler(fleet: TestFleet, extra: Record<string, string> = {}): Promise<number> {
  const live = liveProcs(fleet, 'scheduler');
  await Promise.all(live.map((p) => p.kill('SIGKILL')));
  await fleet.startScheduler(extra);
  return live.length;
}

/** The fleet's processes of one service that still run. */
export const liveProcs = (fleet: TestFleet, name: string) =>
  fleet.procs.filter((p) => p.name === name && p.proc.exitCode === null && !p.proc.signalCode);

interface SentCommand {
  version: string;
  nodeId: string;
  commandId: string;
}

/** Arms a wait for the first install command that matches (revert commands' ids are `<rollout>.<node>.revert`). */
export const commandSent = (fleet: TestFleet, what: string, match: (cmd: SentCommand) => boolean) =>
  firstMessage<SentCommand>(fleet.dep.nc, `${fleet.dep.namespace}.${NodeSubjects.install('*')}`, match, what);

/** SIGKILL the scheduler as soon as it answered the create request (planned, maybe no command out yet); a new one takes over. */
const schedulerKilledAfterPlanning: FaultScenario = {
  name: 'scheduler SIGKILL right after planning',
  fleet: 'plain',
  async run({ fleet, publishNext }) {
    const version = await publishNext();
    const rolloutId = await fleet.rollout({ version, maxParallel: 1 });
    const { rows } = await fleet.dep.pg.query(`SELECT state FROM rollouts WHERE id = $1`, [rolloutId]);
    const killed = await replaceScheduler(fleet);
    const outcome = await outcomeOf(fleet, rolloutId, fleet.nodes[0].id);
    return { rolloutIds: [rolloutId], landed: `rollout ${rows[0].state} when ${killed} killed; ${outcome}` };
  },
};

/** SIGKILL the scheduler right after the first batch's command went out (one node a batch); a new one takes over. */
const schedulerKilledAfterFirstBatch: FaultScenario = {
  name: 'scheduler SIGKILL after the first batch went out',
  fleet: 'plain',
  async run({ fleet, publishNext }) {
    const version = await publishNext();
    const sent = commandSent(fleet, `a command for ${version}`, (cmd) => cmd.version === version);
    const rolloutId = await fleet.rollout({ version, maxParallel: 1, minHealthyMs: 800 });
    const first = await sent;
    const killed = await replaceScheduler(fleet);
    const outcome = await outcomeOf(fleet, rolloutId, first.nodeId);
    return { rolloutIds: [rolloutId], landed: `after the command to ${first.nodeId}, ${killed} killed; ${outcome}` };
  },
};

/** SIGKILL the scheduler while a batch of every node is in its health gate; a new one takes over. */
const schedulerKilledMidBatch: FaultScenario = {
  name: 'scheduler SIGKILL mid-batch',
  fleet: 'plain',
  async run({ fleet, publishNext }) {
    const version = await publishNext();
    const healthChecking = firstMessage<{ data: { step: string; version: string; nodeId: string } }>(
      fleet.dep.nc,
      `${fleet.dep.namespace}.${Subjects.InstallProgress}.*`,
      (ev) => ev.data.step === 'health_check' && ev.data.version === version,
      `health_check progress for ${version}`,
    );
    const rolloutId = await fleet.rollout({ version, maxParallel: fleet.nodes.length, minHealthyMs: 1500 });
    const first = await healthChecking;
    const killed = await replaceScheduler(fleet);
    const outcome = await outcomeOf(fleet, rolloutId, first.data.nodeId);
    return { rolloutIds: [rolloutId], landed: `${first.data.nodeId} in health_check, ${killed} killed; ${outcome}` };
  },
};

/**
 * A rollout one node a batch: the first node succeeds, the second's agent is SIGKILLed while
 * downloading (so it fails and the rollout fails), and the scheduler is SIGKILLed as soon as
 * its automatic revert sends the first node back; a new scheduler must finish the revert.
 */
const schedulerKilledDuringRevert: FaultScenario = {
  name: 'scheduler SIGKILL during the automatic revert',
  fleet: 'plain',
  async run({ fleet, publishNext }) {
    const version = await publishNext();
    const victim = fleet.nodes[1];
    const agentKilled = killAgentAt(fleet, victim, 'downloading', version);
    const rolloutId = await fleet.rollout({ version, maxParallel: 1 });
    const revertSent = commandSent(
      fleet,
      'a revert command',
      (cmd) => cmd.commandId.startsWith(rolloutId) && cmd.commandId.endsWith('.revert'),
    );
    await agentKilled;
    await fleet.restartNode(victim.id);
    const revert = await revertSent.catch(() => undefined);
    if (!revert) throw new Error('the rollout sent no revert command');
    const killed = await replaceScheduler(fleet);
    const outcome = await outcomeOf(fleet, rolloutId, revert.nodeId);
    return {
      rolloutIds: [rolloutId],
      landed: `after the revert command to ${revert.nodeId}, ${killed} killed; ${outcome}`,
    };
  },
};

/** Install steps an agent reports as progress, each a kill point (those that need backups: below). */
const AGENT_KILL_STEPS: InstallStep[] = [
  'downloading',
  'verifying',
  'unpacking',
  'migrating_config',
  'migrate_hook',
  'swapping',
  'restarting',
  'health_check',
  'rolling_back',
];

/** The fault matrix this runner knows, in the order it runs them. */
export const FAULT_SCENARIOS: FaultScenario[] = [
  ...AGENT_KILL_STEPS.map((step) => agentKilledAt(step)),
  schedulerKilledAfterPlanning,
  schedulerKilledAfterFirstBatch,
  schedulerKilledMidBatch,
  schedulerKilledDuringRevert,
  agentKilledAt('backing_up', 'backup'),
  agentKilledRestoringData,
];

/**
 * Control: after a rollout succeeded, one node's `current` is pointed back at its previous
 * release and its agent restarted, so it runs a version the rollout did not record. The
 * invariants must report it (one unrecorded version); it leaves the fleet skewed, so controls run last.
 */
const controlSwappedBehindLockstep: FaultScenario = {
  name: 'control: a node swapped back to its previous release behind Lockstep',
  fleet: 'plain',
  control: true,
  async run({ fleet, publishNext }) {
    const { rolloutId } = await succeededRollout(fleet, publishNext);
    const victim = fleet.nodes[2];
    const row = (
      await fleet.dep.pg.query(`SELECT from_version FROM rollout_nodes WHERE rollout_id = $1 AND node_id = $2`, [
        rolloutId,
        victim.id,
      ])
    ).rows[0] as { from_version: string };
    const link = join(victim.dir, 'current');
    symlinkSync(`releases/${row.from_version}`, `${link}.control`);
    renameSync(`${link}.control`, link);
    await fleet.restartNode(victim.id);
    return { rolloutIds: [rolloutId], landed: `${victim.id} pointed back at ${row.from_version}` };
  },
};

/**
 * Control: one node's agent is killed and not restarted before a rollout (short progress
 * deadline), so its commands never get an outcome. The invariants must report them lost; the
 * runner restarts the agent afterwards (it refuses the stale commands: past their deadline).
 */
const controlAgentNeverAnswers: FaultScenario = {
  name: 'control: an agent dead for the whole rollout',
  fleet: 'plain',
  control: true,
  async run({ fleet, publishNext }) {
    const version = await publishNext();
    const victim = fleet.nodes[2];
    await victim.proc.kill('SIGKILL');
    const rolloutId = await fleet.rollout({ version, maxParallel: fleet.nodes.length, progressDeadlineMs: 3000 });
    return { rolloutIds: [rolloutId], landed: `${victim.id} down; ${await outcomeOf(fleet, rolloutId, victim.id)}` };
  },
};

/** Controls, run after the real scenarios (unless FAULTS_SELF_CHECK=0): each must be reported broken. */
export const CONTROL_SCENARIOS: FaultScenario[] = [controlAgentNeverAnswers, controlSwappedBehindLockstep];
