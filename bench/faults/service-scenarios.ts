import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupSubjects, eventFilterSubject, eventWireSubject, NodeSubjects } from '@lockstep/contracts';
import { MinioObjectStore } from '@lockstep/storage';
import { waitFor } from '@lockstep/testing';
import type { TestFleet } from '../../test/support/fleet';
import {
  firstMessage,
  liveProcs,
  outcomeOf,
  replaceScheduler,
  type FaultContext,
  type FaultScenario,
} from './fault-scenarios';
import { checkBackupCatalogue } from './invariants';
import { startNatsTap } from './nats-tap';

/**
 * Faults of the control plane's own services (issue 12): the scheduler between recording a
 * command and publishing it, the api between a mutation and its outbox relay, the notifier in the
 * middle of a webhook attempt, the backup service in the middle of a restore and of a prune.
 * A kill "between two steps" of a process that has no hook there is placed by a NATS tap
 * (nats-tap.ts): the process talks to NATS through it, and the tap holds the publish and kills.
 */

/** The backup service's own targets in a backup fleet: a data directory big enough that a restore takes a moment. */
export const controlDataDir = (fleet: TestFleet) => join(fleet.work, 'control-data');

/** Settings of the backup fleet's backup service beyond its bucket and key (run-faults starts it). */
export function controlPlaneBackupEnv(fleet: TestFleet): Record<string, string> {
  const dir = controlDataDir(fleet);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 4; i++) writeFileSync(join(dir, `part-${i}.bin`), randomBytes(6 << 20));
  return {
    BACKUP_DATA_PATHS: dir,
    BACKUP_COMPONENT: 'control',
    // a killed worker's command comes back after this (the default minute would dominate the run)
    BACKUP_ACK_WAIT: '2s',
    BACKUP_LOCK_LEASE: '3s',
    BACKUP_KEEP_LAST: '1',
  };
}

/** The fleet's api: the live one, else a new one; the owner token stays in the fleet's directory. */
async function api(fleet: TestFleet, extra: Record<string, string> = {}): Promise<{ url: string; token: string }> {
  const tokenFile = join(fleet.work, 'api-bootstrap-token');
  const proc =
    liveProcs(fleet, 'api')[0] ?? (await fleet.startService('api', { API_BOOTSTRAP_TOKEN_FILE: tokenFile, ...extra }));
  return { url: proc.url, token: readFileSync(tokenFile, 'utf8').trim() };
}

interface Operation {
  id: string;
  kind: string;
  backup_id: string | null;
  state: 'queued' | 'running' | 'succeeded' | 'failed';
  error: string | null;
}

/** One call of the api's HTTP interface as the owner; throws with the body on an unexpected status. */
async function call<T>(
  target: { url: string; token: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${target.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${target.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Waits until the backup operation is final, by the database (the api may be the process a scenario killed). */
async function operationOutcome(fleet: TestFleet, id: string, timeoutMs = 60_000): Promise<Operation> {
  return waitFor<Operation | undefined>(
    async () => {
      const { rows } = await fleet.dep.pg.query(
        `SELECT id, kind, backup_id, state, error FROM backup_operations WHERE id = $1`,
        [id],
      );
      return ['succeeded', 'failed'].includes(rows[0]?.state) ? (rows[0] as Operation) : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `backup operation ${id} to finish` },
  ) as Promise<Operation>;
}

/** Arms a SIGKILL of the fleet's backup service at its first progress report of `step` for an operation of `kind`. */
function killBackupServiceAt(fleet: TestFleet, kind: string, step: string): Promise<string> {
  const killed = firstMessage<{ data: { kind: string; step: string; percent: number } }>(
    fleet.dep.nc,
    `${fleet.dep.namespace}.${eventFilterSubject(BackupSubjects.progress)}`,
    (ev) => ev.data.kind === kind && ev.data.step === step,
    `${kind} progress at ${step}`,
  ).then(async (ev) => {
    await Promise.all(liveProcs(fleet, 'backup').map((p) => p.kill('SIGKILL')));
    return `${kind} at ${step} ${ev.data.percent}%`;
  });
  killed.catch(() => undefined);
  return killed;
}

/** Every file of a directory with its bytes, for comparing a restored tree. */
const snapshot = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f)).toString('base64')]),
  );

/**
 * The scheduler is SIGKILLed after it recorded a node's install command as sent (rollout_nodes
 * `installing`) and before the command reached NATS: its publish is held at the tap. A new
 * scheduler takes the rollout over and must send that command, once.
 */
const schedulerKilledBeforePublish: FaultScenario = {
  name: 'scheduler SIGKILL between recording a command and publishing it',
  fleet: 'plain',
  async run({ fleet, publishNext }) {
    const version = await publishNext();
    const tap = await startNatsTap(fleet.env('scheduler').NATS_URL);
    try {
      await replaceScheduler(fleet, { NATS_URL: tap.url });
      let recorded = '';
      const killed = tap.stopAtPublish(
        `${fleet.dep.namespace}.${NodeSubjects.install('').split('.install')[0]}`,
        async () => {
          await Promise.all(liveProcs(fleet, 'scheduler').map((p) => p.kill('SIGKILL')));
          const { rows } = await fleet.dep.pg.query(
            `SELECT node_id FROM rollout_nodes n JOIN rollouts r ON r.id = n.rollout_id
           WHERE r.target_version = $1 AND n.status = 'installing'`,
            [version],
          );
          recorded = rows.map((r) => r.node_id).join(', ') || 'no node';
        },
      );
      const rolloutId = await fleet.rollout({ version, maxParallel: 1 });
      await killed;
      if (recorded === 'no node') throw new Error('the scheduler published a command it had not recorded as sent');
      await fleet.startScheduler();
      const node = recorded.split(', ')[0];
      return {
        rolloutIds: [rolloutId],
        landed: `${recorded} recorded installing, its command held at the tap, scheduler killed; ${await outcomeOf(fleet, rolloutId, node)}`,
      };
    } finally {
      await tap.stop();
    }
  },
};

/**
 * The notifier is SIGKILLed while the webhook holds its first attempt of the scenario open; a new
 * notifier must deliver that event again under the same webhook-id, and no event twice.
 */
const notifierKilledMidAttempt: FaultScenario = {
  name: 'notifier SIGKILL mid-attempt',
  fleet: 'plain',
  async run({ fleet, publishNext, webhooks }: FaultContext) {
    const version = await publishNext();
    let held: string | undefined;
    const killed = new Promise<string>((resolve) => {
      webhooks.receiver.setScript([
        {
          status: 200,
          hold: async (req) => {
            if (held) return;
            held = String(req.headers['webhook-id']);
            await Promise.all(liveProcs(fleet, 'notifier').map((p) => p.kill('SIGKILL')));
            resolve(`attempt ${held} (${(JSON.parse(req.body) as { type: string }).type}) held, notifier killed`);
          },
        },
      ]);
    });
    try {
      const rolloutId = await fleet.rollout({ version, maxParallel: fleet.nodes.length });
      const landed = await killed;
      await webhooks.startNotifier();
      // the same delivery (same webhook-id) must be attempted again and accepted this time
      await waitFor(
        () => webhooks.receiver.requests.some((r) => r.headers['webhook-id'] === held && r.status === 200) || undefined,
        { timeoutMs: 30_000, what: `the held delivery ${held} attempted again and accepted` },
      );
      const again = 'attempted again under the same webhook-id';
      return {
        rolloutIds: [rolloutId],
        landed: `${landed}; ${again}; ${await outcomeOf(fleet, rolloutId, fleet.nodes[0].id)}`,
      };
    } finally {
      webhooks.receiver.setScript([200]);
    }
  },
};

/** Tells the api scenario's backups apart from every other (there must be exactly one). */
const API_KILL_DESCRIPTION = 'fault matrix: api killed before its relay';

/**
 * The api is SIGKILLed after it committed a backup operation and its command to the outbox, and
 * before its relay published the command (held at the tap). The api started next must publish it
 * from the outbox, and the backup service run it once.
 */
const apiKilledBeforeRelay: FaultScenario = {
  name: 'api SIGKILL between a mutation and its outbox relay',
  fleet: 'backup',
  async run({ fleet }) {
    const tap = await startNatsTap(fleet.env('api').NATS_URL);
    try {
      await Promise.all(liveProcs(fleet, 'api').map((p) => p.kill('SIGTERM')));
      const tapped = await api(fleet, { NATS_URL: tap.url });
      const killed = tap.stopAtPublish(`${fleet.dep.namespace}.${BackupSubjects.operation}`, () =>
        Promise.all(liveProcs(fleet, 'api').map((p) => p.kill('SIGKILL'))),
      );
      // the answer races the kill: the operation's row is the record either way
      const asked = call(tapped, 'POST', '/v1/backups', {
        description: API_KILL_DESCRIPTION,
      }).catch(() => undefined);
      await killed;
      await asked;
      const { rows } = await fleet.dep.pg.query(
        `SELECT o.id, (SELECT count(*)::int FROM outbox m WHERE m.subject = $1) AS waiting
         FROM backup_operations o WHERE o.kind = 'create' ORDER BY o.requested_at DESC LIMIT 1`,
        [BackupSubjects.operation],
      );
      const op = rows[0] as { id: string; waiting: number };
      if (op.waiting < 1) throw new Error('the api was killed after its relay published: the fault missed its point');
      await api(fleet);
      const done = await operationOutcome(fleet, op.id);
      const { rows: backups } = await fleet.dep.pg.query(
        `SELECT count(*)::int AS n FROM backups WHERE description = $1 AND status = 'completed'`,
        [API_KILL_DESCRIPTION],
      );
      if (done.state !== 'succeeded' || backups[0].n !== 1)
        throw new Error(`the operation ${done.state} (${done.error}) with ${backups[0].n} completed backups`);
      return {
        rolloutIds: [],
        landed: `operation ${op.id} committed with ${op.waiting} command(s) in the outbox, api killed at its publish; after a new api: ${done.state}, one backup`,
      };
    } finally {
      await tap.stop();
    }
  },
};

/** A backup of the backup service's own targets through the api; returns its id. */
async function controlBackup(fleet: TestFleet): Promise<string> {
  const name = `faults_${randomBytes(6).toString('hex')}`; // default names are unique per second only
  const { operation } = await call<{ operation: Operation }>(await api(fleet), 'POST', '/v1/backups', { name });
  const done = await operationOutcome(fleet, operation.id);
  if (done.state !== 'succeeded' || !done.backup_id)
    throw new Error(`a backup of the control data failed: ${done.error}`);
  return done.backup_id;
}

/**
 * The backup service is SIGKILLed while it writes a restore of its data directory; the service
 * started next runs the restore again (safe to repeat), and the directory ends as it was backed up.
 */
const backupKilledMidRestore: FaultScenario = {
  name: 'backup service SIGKILL mid-restore',
  fleet: 'backup',
  async run({ fleet }) {
    const backupId = await controlBackup(fleet);
    const dir = controlDataDir(fleet);
    const before = snapshot(dir);
    for (const f of Object.keys(before)) writeFileSync(join(dir, f), randomBytes(1024));
    const killed = killBackupServiceAt(fleet, 'restore', 'restore');
    const { operation } = await call<{ operation: Operation }>(
      await api(fleet),
      'POST',
      `/v1/backups/${backupId}/restore`,
      {
        what: 'data',
        confirm: true,
      },
    );
    const landed = await killed;
    await fleet.restartService('backup');
    const done = await operationOutcome(fleet, operation.id);
    const same = JSON.stringify(snapshot(dir)) === JSON.stringify(before);
    if (done.state !== 'succeeded' || !same)
      throw new Error(
        `the restore ${done.state} (${done.error ?? 'no error'}); data ${same ? 'restored' : 'NOT as backed up'}`,
      );
    return {
      rolloutIds: [],
      landed: `killed at ${landed}; after a new service: restore ${done.state}, data as backed up`,
    };
  },
};

/**
 * The backup service is SIGKILLed in the middle of a prune: its deletes are done, and the first
 * pruned backup is recorded in the catalogue but its announcement is held at the tap (the others
 * are not recorded yet). The service started next runs the prune again; the invariants then
 * check that the catalogue and the bucket's manifests agree.
 */
const backupKilledMidPrune: FaultScenario = {
  name: 'backup service SIGKILL mid-prune',
  fleet: 'backup',
  async run({ fleet }) {
    await controlBackup(fleet);
    await controlBackup(fleet);
    await controlBackup(fleet);
    const tap = await startNatsTap(fleet.env('backup').NATS_URL);
    try {
      await Promise.all(liveProcs(fleet, 'backup').map((p) => p.kill('SIGTERM')));
      await fleet.restartService('backup', { NATS_URL: tap.url });
      const killed = tap.stopAtPublish(`${fleet.dep.namespace}.${eventWireSubject(BackupSubjects.changed)}`, () =>
        Promise.all(liveProcs(fleet, 'backup').map((p) => p.kill('SIGKILL'))),
      );
      const { operation } = await call<{ operation: Operation }>(await api(fleet), 'POST', '/v1/backups/prune', {});
      await killed;
      // the kill lands after the prune deleted, before the catalogue heard: backups it removed
      // are still `completed` without their manifests, which the prune run again must settle
      const gap = await checkBackupCatalogue(fleet, `${fleet.bucket}-backups`);
      if (gap.length === 0) throw new Error('the kill did not land between the deletes and the catalogue');
      await fleet.restartService('backup');
      const done = await operationOutcome(fleet, operation.id);
      if (done.state !== 'succeeded') throw new Error(`the prune ${done.state}: ${done.error}`);
      const { rows: after } = await fleet.dep.pg.query(
        `SELECT count(*)::int AS n FROM backups WHERE status = 'pruned' AND component = 'control'`,
      );
      return {
        rolloutIds: [],
        landed: `killed at the prune's first catalogue announcement (${gap.length} backup(s) completed without a manifest then); after a new service: prune ${done.state}, ${after[0].n} pruned`,
      };
    } finally {
      await tap.stop();
    }
  },
};

/** Faults of the control-plane services; the prune runs last (it removes older pre-update backups). */
export const SERVICE_SCENARIOS: FaultScenario[] = [
  schedulerKilledBeforePublish,
  notifierKilledMidAttempt,
  apiKilledBeforeRelay,
  backupKilledMidRestore,
  backupKilledMidPrune,
];

/**
 * Control: a second subscription of the same webhook, so every event of a rollout reaches it under
 * two webhook-ids. The delivery check must report them (it runs last: it leaves the fleet skewed).
 */
const controlWebhookSubscribedTwice: FaultScenario = {
  name: 'control: the webhook subscribed twice',
  fleet: 'plain',
  control: true,
  async run({ fleet, publishNext, webhooks }) {
    const version = await publishNext();
    const unsubscribe = await webhooks.subscribe('fault matrix control: a second subscription');
    try {
      const rolloutId = await fleet.rollout({ version, maxParallel: fleet.nodes.length });
      return {
        rolloutIds: [rolloutId],
        landed: `two subscriptions; ${await outcomeOf(fleet, rolloutId, fleet.nodes[0].id)}`,
      };
    } finally {
      await unsubscribe();
    }
  },
};

/** Control: a completed backup's manifest deleted behind Lockstep; the catalogue check must report it. */
const controlManifestDeleted: FaultScenario = {
  name: 'control: a completed backup lost its manifest',
  fleet: 'backup',
  control: true,
  async run({ fleet }) {
    const backupId = await controlBackup(fleet);
    await new MinioObjectStore({
      endpoint: fleet.s3.endpoint,
      accessKey: fleet.s3.accessKey,
      secretKey: fleet.s3.secretKey,
      bucket: `${fleet.bucket}-backups`,
    }).remove(`manifests/${backupId}.json`);
    return { rolloutIds: [], landed: `manifest of ${backupId} deleted` };
  },
};

/** Controls of the service faults' checks, run after the real scenarios. */
export const SERVICE_CONTROLS: FaultScenario[] = [controlWebhookSubscribedTwice, controlManifestDeleted];
