import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { BackupEngine } from '@lockstep/backup-engine';
import { nodesBucketName } from '@lockstep/messaging';
import { MinioObjectStore } from '@lockstep/storage';
import type { TestFleet } from '../../test/support/fleet';

/** One event as the fault runner saw it on the namespace's event stream. */
export interface SeenEvent {
  /** Its sequence in the namespace's EVENTS stream. */
  seq: number;
  /** The CloudEvent id. */
  id: string;
  type: string;
  data: Record<string, unknown>;
}

/** What one scenario broke; all zero when it survived. */
export interface Breakage {
  /** Commands sent to a node that never got an outcome, and nodes the rollout left mid-install. */
  lostCommands: number;
  /** Nodes running a version Lockstep has no record of (or its own files and app disagree). */
  unrecordedVersions: number;
  /** Commands an agent executed more than once (two outcomes that are not replays of the first). */
  ranTwice: number;
  /**
   * Events a webhook received other than exactly once. No scenario of this runner involves a
   * webhook yet (no notifier, no subscription), so this stays 0 until a notifier scenario exists.
   */
  duplicateDeliveries: number;
  /** What was wrong, one line per finding. */
  findings: string[];
}

const FINAL_ROLLOUT_STATES = ['succeeded', 'failed', 'aborted', 'rolled_back'];
/** Node statuses that mean "a command is out and no outcome came back". */
const UNFINISHED_NODE_STATUSES = ['installing', 'reverting'];

/** The version a node's release directory `current` points at, or undefined. */
export function currentRelease(dir: string): string | undefined {
  try {
    return readlinkSync(join(dir, 'current')).split('/').pop();
  } catch {
    return undefined;
  }
}

/** The step the node's journal says its unfinished command was at (what a kill interrupted). */
export function journalStep(dir: string, commandVersion: string): string | undefined {
  try {
    const journal = JSON.parse(readFileSync(join(dir, 'state', 'journal.json'), 'utf8')) as {
      entries: Array<{ status: string; step?: string; rollingBack?: boolean; command: { version: string } }>;
    };
    const entry = journal.entries.filter((e) => e.command.version === commandVersion).pop();
    if (!entry) return 'no entry';
    return [
      entry.step ?? 'none',
      entry.rollingBack ? 'rolling back' : '',
      entry.status === 'finished' ? 'finished' : '',
    ]
      .filter(Boolean)
      .join(', ');
  } catch {
    return 'no journal';
  }
}

/**
 * Checks every invariant after a scenario's rollouts settled: every command sent got exactly
 * one outcome and none ran twice, no node is left mid-install, no pre-update backup is left
 * half made, and every node runs what Lockstep recorded for it (by the last rollout, whose
 * record is the newest, and its heartbeat).
 */
export async function checkInvariants(
  fleet: TestFleet,
  rolloutIds: string[],
  commandIds: string[],
  events: SeenEvent[],
  backupBucket?: string,
): Promise<Breakage> {
  const totals: Breakage = {
    lostCommands: 0,
    unrecordedVersions: 0,
    ranTwice: 0,
    duplicateDeliveries: 0,
    findings: [],
  };
  for (const [i, id] of rolloutIds.entries()) {
    const one = await checkRollout(fleet, id, i === rolloutIds.length - 1);
    totals.lostCommands += one.lostCommands;
    totals.unrecordedVersions += one.unrecordedVersions;
    totals.findings.push(...one.findings);
  }
  const commands = checkCommands(commandIds, events);
  totals.lostCommands += commands.lostCommands;
  totals.ranTwice += commands.ranTwice;
  totals.findings.push(...commands.findings);
  const { rows: unfinished } = await fleet.dep.pg.query(
    `SELECT id, node_id, status FROM backups WHERE rollout_id = ANY($1) AND status = 'creating'`,
    [rolloutIds],
  );
  for (const b of unfinished) totals.findings.push(`backup ${b.id} of ${b.node_id} is still ${b.status}`);
  if (backupBucket) totals.findings.push(...(await checkBackupCatalogue(fleet, backupBucket)));
  return totals;
}

/** Every command got an outcome, and exactly one execution (replays of the journaled outcome aside). */
function checkCommands(
  commandIds: string[],
  events: SeenEvent[],
): Omit<Breakage, 'unrecordedVersions' | 'duplicateDeliveries'> {
  const findings: string[] = [];
  let lostCommands = 0;
  let ranTwice = 0;
  const outcomes = new Map<string, SeenEvent[]>();
  for (const e of events.filter((e) => e.type.includes('install.finished'))) {
    const id = String(e.data.commandId);
    outcomes.set(id, [...(outcomes.get(id) ?? []), e]);
  }
  for (const id of commandIds) {
    const got = outcomes.get(id) ?? [];
    if (got.length === 0) {
      findings.push(`command ${id} got no outcome`);
      lostCommands++;
      continue;
    }
    // A redelivered command replays its journaled outcome as a noop; a second real
    // execution, or two different results for one command, means it ran twice.
    const executions = got.filter((e) => !e.data.noop && e.data.result !== 'rejected');
    const results = new Set(got.filter((e) => e.data.result !== 'rejected').map((e) => String(e.data.result)));
    if (executions.length > 1 || results.size > 1) {
      findings.push(`command ${id} ran ${executions.length} times with results ${[...results].join('/')}`);
      ranTwice++;
    }
  }
  return { lostCommands, ranTwice, findings };
}

/** The rollout is final with no node mid-install; with `versions`, every node runs what it recorded. */
async function checkRollout(
  fleet: TestFleet,
  rolloutId: string,
  versions: boolean,
): Promise<Pick<Breakage, 'lostCommands' | 'unrecordedVersions' | 'findings'>> {
  const findings: string[] = [];
  let lostCommands = 0;
  let unrecordedVersions = 0;
  const { rows: rollout } = await fleet.dep.pg.query(
    `SELECT state, target_version, coalesce((strategy->>'autoRollback')::boolean, false) AS auto_rollback FROM rollouts WHERE id = $1`,
    [rolloutId],
  );
  const nodeRows = (
    await fleet.dep.pg.query(`SELECT node_id, status, from_version FROM rollout_nodes WHERE rollout_id = $1`, [
      rolloutId,
    ])
  ).rows as Array<{ node_id: string; status: string; from_version: string | null }>;
  if (!FINAL_ROLLOUT_STATES.includes(rollout[0]?.state)) {
    findings.push(`rollout ${rolloutId} is ${rollout[0]?.state}, not in a final state`);
    lostCommands += Math.max(1, nodeRows.filter((r) => UNFINISHED_NODE_STATUSES.includes(r.status)).length);
  } else {
    if (rollout[0].state === 'failed' && rollout[0].auto_rollback) {
      // the automatic revert is work the control plane owes: a rollout left failed lost it
      findings.push(`rollout ${rolloutId} stays failed: its automatic revert never finished (no move to rolled_back)`);
      lostCommands++;
    }
    for (const r of nodeRows.filter((r) => UNFINISHED_NODE_STATUSES.includes(r.status))) {
      findings.push(`${r.node_id} is still ${r.status} in a ${rollout[0].state} rollout`);
      lostCommands++;
    }
  }

  if (!versions) return { lostCommands, unrecordedVersions, findings };

  const bucket = await new Kvm(fleet.dep.nc).open(nodesBucketName(fleet.dep.namespace));
  const recorded = (nodeId: string): string | null | undefined => {
    const row = nodeRows.find((r) => r.node_id === nodeId);
    if (!row) return undefined;
    if (row.status === 'succeeded') return rollout[0].target_version;
    if (['pending', 'failed', 'rolled_back', 'reverted'].includes(row.status)) return row.from_version;
    return undefined; // timed_out, revert_failed, revert_timed_out: the rollout does not know; the heartbeat must
  };
  for (const node of fleet.nodes) {
    const running = await node.version();
    const linked = currentRelease(node.dir);
    if (running !== linked) {
      findings.push(`${node.id} answers ${running ?? 'nothing'} but its current release is ${linked ?? 'none'}`);
      unrecordedVersions++;
      continue;
    }
    const inRollout = recorded(node.id);
    if (inRollout !== undefined && inRollout !== running) {
      findings.push(`${node.id} runs ${running} but the rollout recorded ${inRollout ?? 'nothing'}`);
      unrecordedVersions++;
      continue;
    }
    // The heartbeat is the record of a node outside the rollout (or of unknown outcome); give
    // a restarted agent a few beats to report.
    let beat: string | undefined;
    for (let i = 0; i < 20 && beat !== running; i++) {
      const entry = await bucket.get(node.id);
      beat = entry?.value.length ? entry.json<{ components?: Record<string, string> }>().components?.demo : undefined;
      if (beat !== running) await new Promise((r) => setTimeout(r, 250));
    }
    if (beat !== running) {
      findings.push(`${node.id} runs ${running} but its heartbeat says ${beat ?? 'nothing'}`);
      unrecordedVersions++;
    }
  }
  return { lostCommands, unrecordedVersions, findings };
}

/** A backup fleet's repository: its bucket and passphrase (BACKUP_BUCKET, BACKUP_KEY of its processes). */
export interface BackupRepository {
  bucket: string;
  passphrase: string;
}

/** The repository a backup fleet's backup service and agents are given. */
export const backupRepositoryOf = (fleet: TestFleet): BackupRepository => ({
  bucket: `${fleet.bucket}-backups`,
  passphrase: 'fault matrix backup passphrase',
});

/** Opens a backup fleet's repository as the backup engine reads it. */
export async function openBackupRepository(fleet: TestFleet, bucket = backupRepositoryOf(fleet).bucket) {
  const repo = { ...backupRepositoryOf(fleet), bucket };
  const store = new MinioObjectStore({
    endpoint: fleet.s3.endpoint,
    accessKey: fleet.s3.accessKey,
    secretKey: fleet.s3.secretKey,
    bucket: repo.bucket,
  });
  return { store, bucket: (await BackupEngine.open(store, { passphrase: repo.passphrase })).repository };
}

/** Catalogue statuses of a backup that can be restored: each needs its manifest and every pack it names. */
const RESTORABLE = ['completed', 'verified'];

/**
 * The backup repository and the catalogue agree: no backup is marked completed (or verified)
 * without its manifest or with a pack its manifest needs gone (a prune raced it), and none
 * with a manifest is missing from the catalogue or recorded as anything but restorable
 * (corrupted counts: a verify found the damage and said so).
 */
export async function checkBackupCatalogue(fleet: TestFleet, backupBucket: string): Promise<string[]> {
  const { bucket } = await openBackupRepository(fleet, backupBucket);
  const manifests = new Set((await bucket.listManifests()).map((m) => m.id));
  const packs = new Set((await bucket.listPacks()).map((p) => p.name));
  const { rows } = await fleet.dep.pg.query(`SELECT id, status FROM backups`);
  const status = new Map((rows as Array<{ id: string; status: string }>).map((r) => [r.id, r.status]));
  const findings: string[] = [];
  for (const [id, st] of status)
    if (RESTORABLE.includes(st) && !manifests.has(id))
      findings.push(`backup ${id} is ${st} in the catalogue but has no manifest in the bucket`);
  for (const id of manifests) {
    const st = status.get(id);
    if (!st || ![...RESTORABLE, 'corrupted'].includes(st))
      findings.push(`backup ${id} has a manifest but the catalogue ${st ? `records it ${st}` : 'has no entry'}`);
    if (st === 'corrupted') continue;
    const manifest = await bucket.getManifest(id);
    const needed = new Set([...manifest.packs, ...Object.values(manifest.chunks).map((c) => c.pack)]);
    const missing = [...needed].filter((p) => !packs.has(p));
    if (missing.length)
      findings.push(
        `backup ${id} (${st ?? 'not catalogued'}) needs ${missing.length} pack(s) the bucket no longer has`,
      );
  }
  return findings;
}
