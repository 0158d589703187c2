import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Subjects, systemActor } from '@lockstep/contracts';
import { createDataSource, enqueueBackupOperation } from '@lockstep/persistence';
import { waitFor } from '@lockstep/testing';
import type { TestFleet } from '../../test/support/fleet';
import { firstMessage, outcomeOf, succeededRollout, type FaultScenario } from './scenario-kit';
import { openBackupRepository } from './invariants';

/**
 * The backup repository's lock against a stalled holder (issue 12): a prune may run once a
 * backup's lease expired, so the backup must not commit packs the prune deleted. Plus the
 * control that proves the backup invariant sees a missing pack.
 */

/** Bytes of fresh random data the lock holder backs up: several 16 MiB packs, so the backup takes a moment. */
const BULK_BYTES = 40 << 20;
/** How long the scenario keeps asking for a prune while the stopped backup's lease runs out. */
const PRUNE_PATIENCE_MS = 30_000;

/** A backup's progress past locking (the agent reports `files 12%`, …): it holds its shared lease. */
const pastLocking = (message: string | undefined): boolean => /^(scan|files|streams|commit) /.test(message ?? '');

interface PruneOperation {
  state: string;
  error: string | null;
  result: { removedPacks?: number } | null;
}

/**
 * Asks the backup service for prunes, one after another, until one succeeds (the earlier ones
 * find a backup holding the repository and fail); returns how many it took and what it removed.
 */
async function pruneUntilItRuns(fleet: TestFleet): Promise<{ attempts: number; removedPacks: number }> {
  const ds = createDataSource(fleet.dep.db.url, { poolSize: 1 });
  await ds.initialize();
  try {
    const deadline = Date.now() + PRUNE_PATIENCE_MS;
    for (let attempts = 1; ; attempts++) {
      const operationId = randomUUID();
      await enqueueBackupOperation(ds, { kind: 'prune', operationId, dryRun: false }, systemActor('faults'));
      const done = await waitFor(
        async () => {
          const { rows } = await fleet.dep.pg.query(
            `SELECT state, error, result FROM backup_operations WHERE id = $1`,
            [operationId],
          );
          const op = rows[0] as PruneOperation;
          return ['succeeded', 'failed'].includes(op.state) && op;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: `prune ${operationId} to finish` },
      );
      if (!done) continue; // waitFor returns only a finished operation
      if (done.state === 'succeeded') return { attempts, removedPacks: done.result?.removedPacks ?? 0 };
      if (Date.now() > deadline) throw new Error(`no prune ran within ${PRUNE_PATIENCE_MS} ms: ${done.error}`);
    }
  } finally {
    await ds.destroy();
  }
}

/**
 * A node's agent, in the middle of its pre-update backup (a pack uploaded, manifest not yet),
 * is SIGSTOPped past its repository lease while prunes wait for the repository; one runs once
 * the lease expired and deletes every pack no manifest names, the stopped backup's among them.
 * Then the agent is continued: its backup must fail cleanly (it lost the lease), or commit a
 * manifest whose packs all exist; the backup invariant checks which.
 */
export const backupHolderStoppedDuringPrune: FaultScenario = {
  name: "SIGSTOP of a backup's lock holder past its lease while a prune waits",
  fleet: 'backup',
  async run({ fleet, publishNext }) {
    const victim = fleet.nodes[1];
    writeFileSync(join(fleet.work, `${victim.id}-data`, 'bulk.bin'), randomBytes(BULK_BYTES));
    const version = await publishNext();
    const { bucket } = await openBackupRepository(fleet);
    const packsBefore = new Set((await bucket.listPacks()).map((p) => p.name));
    const backingUp = firstMessage<{ data: { step: string; version: string; message?: string } }>(
      fleet.dep.nc,
      `${fleet.dep.namespace}.${Subjects.InstallProgress}.${victim.id}`,
      (ev) => ev.data.step === 'backing_up' && ev.data.version === version && pastLocking(ev.data.message),
      `${victim.id} backing up under its lease`,
    );
    const rolloutId = await fleet.rollout({ version, maxParallel: fleet.nodes.length });
    await backingUp;
    // stopped once one of its big packs is in the bucket (its manifest comes last): the prune's
    // prey (the other nodes' backups add small packs at most)
    const bigPack = await waitFor(
      async () => (await bucket.listPacks()).find((p) => !packsBefore.has(p.name) && p.size > BULK_BYTES / 8),
      { timeoutMs: 30_000, intervalMs: 20, what: `a pack of ${victim.id}'s bulk data in the bucket` },
    );
    victim.proc.proc.kill('SIGSTOP');
    const at = `pack ${bigPack?.name.slice(0, 12)}… (${((bigPack?.size ?? 0) / 2 ** 20).toFixed(0)} MiB) uploaded`;
    const stoppedAt = Date.now();
    let prune;
    try {
      prune = await pruneUntilItRuns(fleet);
    } finally {
      victim.proc.proc.kill('SIGCONT');
    }
    const stoppedS = ((Date.now() - stoppedAt) / 1000).toFixed(1);
    return {
      rolloutIds: [rolloutId],
      landed: `${victim.id} stopped with ${at} for ${stoppedS} s; the prune ran at attempt ${prune.attempts}, removing ${prune.removedPacks} pack(s); ${await outcomeOf(fleet, rolloutId, victim.id)}`,
    };
  },
};

/**
 * Control: after a rollout whose pre-update backups completed, one pack a completed backup
 * needs is deleted behind Lockstep (as a prune racing the backup would have). The backup
 * invariant must report it; the repository stays damaged, so it runs after the real scenarios.
 */
const controlPackDeletedBehindLockstep: FaultScenario = {
  name: 'control: a pack of a completed backup deleted behind Lockstep',
  fleet: 'backup',
  control: true,
  async run({ fleet, publishNext }) {
    const { rolloutId, version } = await succeededRollout(fleet, publishNext);
    const { rows } = await fleet.dep.pg.query(
      `SELECT id FROM backups WHERE rollout_id = $1 AND status = 'completed' ORDER BY id LIMIT 1`,
      [rolloutId],
    );
    if (!rows.length) throw new Error(`the rollout to ${version} completed no backup`);
    const { store, bucket } = await openBackupRepository(fleet);
    const pack = (await bucket.getManifest(rows[0].id)).packs[0];
    await store.remove(`packs/${pack}`);
    return { rolloutIds: [rolloutId], landed: `pack ${pack.slice(0, 12)}… of ${rows[0].id} deleted` };
  },
};

/** Controls of the outage checks, run after the real scenarios: each must be reported broken. */
export const BACKUP_LOCK_CONTROLS: FaultScenario[] = [controlPackDeletedBehindLockstep];
