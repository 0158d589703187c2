/**
 * npm run faults — the fault matrix (issue 12): real processes through a table of faults,
 * the same invariants checked after each one.
 *
 * One fleet per kind for the whole run, as `test/support/fleet.ts` starts them for the e2e
 * tests (its own nats-server with least-privilege users, database and s3rver; checker,
 * scheduler and three agents running the demo app): `plain`, `backup` (plus the backup
 * service, agents taking pre-update backups), and `cluster` (a backup fleet on a 3-server
 * NATS cluster of its own, streams and buckets with 3 replicas, NATS without users). Starting a fleet costs more than a scenario,
 * and every scenario begins from a settled fleet anyway (all nodes on one version, every
 * agent running; a scenario that left an agent dead gets it restarted). Each scenario rolls
 * out a new padded release and injects its fault (see fault-scenarios.ts); then, once its
 * rollouts are final, invariants.ts checks:
 *   - every node's app, its `current` release, the rollout's record and its heartbeat agree;
 *   - every install command sent got an outcome, no node is left installing, none ran twice;
 *   - no pre-update backup of the scenario is left `creating`;
 *   - (backup fleets) no backup is marked completed without its manifest and every pack it
 *     names, and none with a manifest is missing from the catalogue;
 *   - every rollout, install and backup event of the scenario reached the fleet's webhook
 *     exactly once (one webhook-id per event; webhook-watch.ts): each fleet runs a notifier too.
 * Outage scenarios (outage-scenarios.ts) stop what the fleet stands on: each fleet's database
 * lives on a Postgres cluster of its own (private-infra.ts) and its S3 server is its own.
 *
 * Prints one line per scenario, then last:
 *   faults: scenarios=<n> survived=<n> lost_commands=<n> unrecorded_versions=<n> duplicate_deliveries=<n>
 * and exits 1 when any invariant broke (or a scenario could not inject its fault).
 * After the real scenarios come controls that break an invariant on purpose (outside the
 * counts; FAULTS_SELF_CHECK=0 skips them): the run fails when the checks miss one, so a check
 * that went blind cannot pass quietly. FAULTS_ONLY=<substring>[|<substring>…] runs the scenarios whose
 * name contains one of them (and the controls).
 * Needs Postgres and nats-server (deploy/scripts/ensure-infra.sh) and `npm run build`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { NodeSubjects } from '@lockstep/contracts';
import { nodesBucketName } from '@lockstep/messaging';
import { waitFor } from '@lockstep/testing';
import { collectEvents } from '../../test/support/control-plane';
import { TestFleet } from '../../test/support/fleet';
import {
  CONTROL_SCENARIOS,
  FAULT_SCENARIOS,
  liveProcs,
  paddedRelease,
  settle,
  type FaultScenario,
  type FleetKind,
} from './fault-scenarios';
import { backupRepositoryOf, checkInvariants, type Breakage, type SeenEvent } from './invariants';
import { BACKUP_LOCK_CONTROLS } from './backup-lock-scenarios';
import { OUTAGE_FLEET_ENV, OUTAGE_SCENARIOS } from './outage-scenarios';
import { startFleetInfra, type FleetInfra } from './private-infra';
import { controlPlaneBackupEnv, SERVICE_CONTROLS, SERVICE_SCENARIOS } from './service-scenarios';
import { WebhookWatch } from './webhook-watch';

const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);
const NODES = 3;
/** After a rollout is final, how long late outcomes may still trickle in before counting. */
const SETTLE_MS = 1000;

async function main(): Promise<number> {
  const only = process.env.FAULTS_ONLY;
  const scenarios = [...FAULT_SCENARIOS, ...SERVICE_SCENARIOS, ...OUTAGE_SCENARIOS].filter(
    (s) => !only || only.split('|').some((part) => s.name.includes(part)),
  );
  const controls =
    process.env.FAULTS_SELF_CHECK === '0' ? [] : [...CONTROL_SCENARIOS, ...SERVICE_CONTROLS, ...BACKUP_LOCK_CONTROLS];
  const totals = { survived: 0, lostCommands: 0, unrecordedVersions: 0, duplicateDeliveries: 0 };
  let missedControls = 0;
  for (const kind of ['plain', 'backup', 'cluster'] as const) {
    const mine = [...scenarios, ...controls].filter((s) => s.fleet === kind);
    if (mine.length === 0) continue;
    const fleet = await startFleet(kind);
    try {
      log(`${kind} fleet of ${NODES} nodes on 1.0.0; ${mine.length} scenarios`);
      for (const scenario of mine) {
        const broken = await runScenario(fleet, scenario);
        await reviveDeadAgents(fleet.fleet);
        await reviveDeadServices(fleet.fleet, kind);
        if (scenario.control) {
          // a control must break: it proves the checks see what they claim to
          if (broken.findings.length === 0 || broken.findings.some((f) => f.startsWith('could not run')))
            missedControls++;
          continue;
        }
        totals.survived += broken.findings.length === 0 ? 1 : 0;
        totals.lostCommands += broken.lostCommands;
        totals.unrecordedVersions += broken.unrecordedVersions;
        totals.duplicateDeliveries += broken.duplicateDeliveries;
      }
    } finally {
      await fleet.stop().catch((err: Error) => log(`stopping the ${kind} fleet: ${err.message.split('\n')[0]}`));
    }
  }
  console.log(
    `faults: scenarios=${scenarios.length} survived=${totals.survived} lost_commands=${totals.lostCommands} unrecorded_versions=${totals.unrecordedVersions} duplicate_deliveries=${totals.duplicateDeliveries}`,
  );
  if (missedControls) console.error(`faults: ${missedControls} control(s) went unnoticed: the checks are blind`);
  return totals.survived === scenarios.length && missedControls === 0 ? 0 : 1;
}

/** A fleet settled on 1.0.0, with what the runner watches on it: every event and every install command. */
interface WatchedFleet {
  fleet: TestFleet;
  infra: FleetInfra;
  publishNext(options?: { broken?: boolean }): Promise<string>;
  events: SeenEvent[];
  /** Resolves once every event published so far is in `events`. */
  eventsCaughtUp(): Promise<void>;
  commands: Array<{ rolloutId: string; commandId: string }>;
  webhooks: WebhookWatch;
  /** The bucket of a backup fleet's backups (its catalogue and manifests are checked too). */
  backupBucket?: string;
  stop(): Promise<void>;
}

async function startFleet(kind: FleetKind): Promise<WatchedFleet> {
  // every fleet's database lives on a Postgres cluster of its own, which outage scenarios stop
  const infra = await startFleetInfra({ natsCluster: kind === 'cluster' });
  const fleet = await TestFleet.start({
    pgAdminUrl: infra.postgres.adminUrl,
    natsUrls: infra.nats?.urls,
    env: OUTAGE_FLEET_ENV,
  }).catch(async (err: Error) => {
    await infra.stop();
    throw err;
  });
  try {
    let agentEnv: (id: string) => Record<string, string> = () => ({});
    const backups = kind === 'backup' || kind === 'cluster';
    if (backups) {
      const repo = backupRepositoryOf(fleet);
      const key = { BACKUP_BUCKET: repo.bucket, BACKUP_KEY: repo.passphrase };
      await fleet.startService('backup', { ...key, ...controlPlaneBackupEnv(fleet) });
      agentEnv = (id) => {
        const data = join(fleet.work, `${id}-data`);
        mkdirSync(data, { recursive: true });
        writeFileSync(join(data, 'orders.db'), `orders of ${id}\n`);
        return { ...key, BACKUP_DATA_PATHS: `${join(fleet.work, id, 'shared')},${data}` };
      };
    }
    await fleet.addNodes(NODES, agentEnv);
    let minor = 0;
    const publishNext = async (options: { broken?: boolean } = {}) => {
      const version = `1.${++minor}.0`;
      await fleet.publish(version, { ...paddedRelease(), ...options });
      return version;
    };
    const first = await fleet.rollout({ version: '1.0.0', maxParallel: NODES });
    const settled = await settle(fleet, first);
    if (settled !== 'succeeded') throw new Error(`the ${kind} fleet did not settle on 1.0.0 (${settled})`);
    const webhooks = await WebhookWatch.start(fleet);
    const seen = await collectEvents(fleet.dep);
    const commands: WatchedFleet['commands'] = [];
    const commandSub = fleet.dep.nc.subscribe(`${fleet.dep.namespace}.${NodeSubjects.install('*')}`, {
      callback: (_err, m) => {
        commands.push(m.json());
      },
    });
    return {
      fleet,
      infra,
      publishNext,
      events: seen.events,
      eventsCaughtUp: () => seen.caughtUp(),
      commands,
      webhooks,
      backupBucket: backups ? backupRepositoryOf(fleet).bucket : undefined,
      async stop() {
        commandSub.unsubscribe();
        await seen.stop();
        await webhooks.stop();
        await fleet.stop().finally(() => infra.stop());
      },
    };
  } catch (err) {
    await fleet.stop().catch(() => undefined);
    await infra.stop();
    throw err;
  }
}

/** Runs one scenario and checks the invariants; logs its line and findings. */
async function runScenario(watched: WatchedFleet, scenario: FaultScenario): Promise<Breakage> {
  const t0 = Date.now();
  let broken: Breakage;
  let landed = '';
  // the collector may lag behind the stream: what the scenario caused is what comes after this
  const { state } = await (
    await jetstreamManager(watched.fleet.dep.nc)
  ).streams.info(`${watched.fleet.dep.namespace.toUpperCase()}_EVENTS`);
  try {
    const run = await scenario.run({
      fleet: watched.fleet,
      infra: watched.infra,
      publishNext: watched.publishNext,
      webhooks: watched.webhooks,
    });
    landed = run.landed;
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    await watched.eventsCaughtUp();
    const commandIds = watched.commands.filter((c) => run.rolloutIds.includes(c.rolloutId)).map((c) => c.commandId);
    broken = await checkInvariants(watched.fleet, run.rolloutIds, commandIds, watched.events, watched.backupBucket);
    broken.findings.push(...(run.findings ?? []));
    const deliveries = await watched.webhooks.check(watched.events.filter((e) => e.seq > state.last_seq));
    broken.duplicateDeliveries += deliveries.duplicateDeliveries;
    broken.findings.push(...deliveries.findings);
    landed += `; ${commandIds.length} commands`;
  } catch (err) {
    broken = {
      lostCommands: 0,
      unrecordedVersions: 0,
      ranTwice: 0,
      duplicateDeliveries: 0,
      findings: [`could not run: ${(err as Error).message.split('\n')[0]}`],
    };
  }
  const survived = broken.findings.length === 0;
  const verdict = scenario.control ? (survived ? 'MISSED  ' : 'caught  ') : survived ? 'survived' : 'BROKE   ';
  log(`${verdict} ${scenario.name} (${landed || 'fault not injected'}; ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  for (const f of broken.findings) log(`    ${f}`);
  return broken;
}

/** A scenario that failed half-way may leave a service dead; the next one needs the whole control plane. */
async function reviveDeadServices(fleet: TestFleet, kind: FleetKind): Promise<void> {
  for (const name of ['scheduler', 'notifier', ...(kind === 'backup' || kind === 'cluster' ? ['backup'] : [])])
    if (liveProcs(fleet, name).length === 0) {
      log(`    starting the ${name} again: the scenario left none running`);
      if (name === 'scheduler') await fleet.startScheduler();
      else await fleet.restartService(name);
    }
}

/** A scenario that failed half-way may leave an agent dead; the next one needs the whole fleet. */
async function reviveDeadAgents(fleet: TestFleet): Promise<void> {
  const bucket = await new Kvm(fleet.dep.nc).open(nodesBucketName(fleet.dep.namespace));
  for (const node of fleet.nodes) {
    if (node.proc.proc.exitCode === null && node.proc.proc.signalCode === null) continue;
    const restartedAt = new Date();
    await fleet.restartNode(node.id);
    // a node the scheduler saw as lost blocks the next rollout until it heartbeats again
    await waitFor(async () => ((await bucket.get(node.id))?.created ?? new Date(0)) > restartedAt, {
      timeoutMs: 10_000,
      what: `a heartbeat of the restarted ${node.id}`,
    });
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err);
    console.log('faults: scenarios=0 survived=0 lost_commands=0 unrecorded_versions=0 duplicate_deliveries=0');
    process.exit(1);
  },
);
