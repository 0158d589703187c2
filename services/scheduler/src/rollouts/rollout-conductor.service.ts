import { Inject, Injectable, Logger } from '@nestjs/common';
import { systemActor, type InstallCommandV1, type ReleaseInfoReplyV1 } from '@lockstep/contracts';
import type { RolloutEntity, RolloutNodeEntity } from '@lockstep/persistence';
import { CLOCK, type Clock } from '../clock/clock.port';
import { NodeCommander } from '../fleet/node-commander';
import { SCHEDULER_CONFIG, type SchedulerConfig } from '../scheduler.config';
import { LockLostError, type HeldLock } from './cluster-lock.port';
import { CommandWithdrawals } from './command-withdrawals.service';
import { ReleaseInfoRepository } from './release-info.repository';
import { waitAfterBatch } from './rollout-planner';
import { RolloutRepository, type BatchProgress, type RolloutAudit } from './rollout.repository';
import { ComponentVersions } from '../fleet/component-versions.service';
import {
  NODE_STATUSES,
  NODE_STATUS_ON_TIMEOUT,
  NODE_STATUS_WHILE,
  canMoveNode,
  type ConductorTarget,
} from './rollout-state-machine';

/**
 * Conducts one rollout while holding the cluster lock: canary batch first, then batches of
 * maxParallel, each gated on every node's outcome; stops at once when the lock is lost.
 * Everything it decides is in Postgres first, so another replica resumes where it stopped.
 */
@Injectable()
export class RolloutConductor {
  private readonly logger = new Logger(RolloutConductor.name);
  private wakeUp?: () => void;
  /** An outcome arrived while the conductor was not napping: its next nap ends at once. */
  private woken = false;

  constructor(
    private readonly repo: RolloutRepository,
    private readonly commander: NodeCommander,
    private readonly releases: ReleaseInfoRepository,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly versions: ComponentVersions,
    private readonly withdrawals: CommandWithdrawals,
  ) {}

  /** Called when an outcome for one of our nodes arrived (saves a poll interval). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async conduct(rolloutId: string, lock: HeldLock): Promise<void> {
    try {
      if (!(await this.repo.claim(rolloutId, lock.token, this.config.SCHEDULER_REPLICA_ID, lock.key))) {
        this.logger.warn(`rollout ${rolloutId} is claimed by a newer lock holder; not conducting`);
        return;
      }
      // Two independent reads at once: the first batch goes out a round trip sooner.
      const [found, nodes] = await Promise.all([this.repo.get(rolloutId), this.repo.nodes(rolloutId)]);
      let r = found!;
      // failed: its auto-rollback is unfinished; rolled_back: a late outcome showed a node still on the release
      if (r.state === 'failed' || r.state === 'rolled_back') {
        await this.revertUpdated(r, lock);
        return;
      }
      /** The rollout's state as this conductor just saw or set it; undefined when it must be read again. */
      let seen: RolloutEntity['state'] | undefined;
      if (r.state === 'planned') {
        await this.move(r, lock, 'running');
        seen = 'running';
      }
      const batches = groupBatches(nodes);
      for (const [i, batch] of batches.entries()) {
        if (seen !== 'running') r = await this.waitWhilePaused(rolloutId, lock);
        if (r.state !== 'running') return;
        const todo = batch.filter((n) => canMoveNode(n.status, NODE_STATUS_WHILE.install));
        await this.sendBatch(
          r,
          'install',
          todo.map((n) => ({ node: n, version: r.targetVersion, artifact: r.artifact })),
          lock,
        );
        const progress = await this.waitFor(
          r,
          batch.map((n) => n.nodeId),
          lock,
        );
        if (progress.failed > r.strategy.maxFailures) {
          await this.fail(
            r,
            (await this.repo.nodes(rolloutId)).filter((n) => NODE_STATUSES[n.status].failure),
            lock,
          );
          return;
        }
        seen = progress.state;
        const next = batches[i + 1];
        const soak = waitAfterBatch(r.strategy, {
          canary: batch[0]?.canary ?? false,
          nextCanary: next?.[0]?.canary ?? false,
        });
        if (soak > 0 && next) {
          await this.sleepHeld(soak, lock);
          seen = undefined;
        }
      }
      r = (await this.repo.get(rolloutId))!;
      if (r.state === 'running')
        await this.move(r, lock, 'succeeded', `all ${nodes.length} nodes at ${r.targetVersion}`);
    } catch (err) {
      if (err instanceof LockLostError) {
        this.logger.warn(`rollout ${rolloutId}: ${err.message}; stopped issuing commands`);
        return;
      }
      if (err instanceof MoveRefusedError) {
        this.logger.log(`rollout ${rolloutId}: ${err.message}; stopped conducting it`);
        return;
      }
      throw err;
    }
  }

  /** The rollout failed: with auto-rollback, every node it updated goes back to its previous version. */
  private async fail(r: RolloutEntity, failed: RolloutNodeEntity[], lock: HeldLock): Promise<void> {
    const reason = `${failed.length} node(s) failed (allowed ${r.strategy.maxFailures}): ${failed.map((n) => `${n.nodeId}${n.error ? ` (${n.error})` : ''}`).join('; ')}`;
    // The automatic rollback is the control plane's own decision: recorded with the move to failed.
    const audit = r.strategy.autoRollback
      ? {
          actor: systemActor('scheduler'),
          action: 'rollout.auto-rollback',
          params: { reason, failedNodes: failed.map((n) => n.nodeId), replica: this.config.SCHEDULER_REPLICA_ID },
        }
      : undefined;
    await this.move(r, lock, 'failed', reason, audit);
    if (r.strategy.autoRollback) await this.revertUpdated(r, lock);
  }

  /** Auto-rollback: every node this rollout updated goes back to the version it ran before. */
  private async revertUpdated(r: RolloutEntity, lock: HeldLock): Promise<void> {
    const all = await this.repo.nodes(r.id);
    // conducted again once rolled back: only the nodes a late outcome showed still on its release
    const late = r.state === 'rolled_back' ? new Set(await this.repo.lateReverts(r.id)) : undefined;
    const updated = all.filter(
      (n) => canMoveNode(n.status, NODE_STATUS_WHILE.rollback) && n.fromVersion && (!late || late.has(n.nodeId)),
    );
    // Published releases never change, so each previous version is resolved once.
    const artifacts = new Map<string, RolloutEntity['artifact']>();
    for (let i = 0; i < updated.length; i += r.strategy.maxParallel) {
      const batch = updated.slice(i, i + r.strategy.maxParallel);
      const sends: CommandTarget[] = [];
      for (const n of batch) {
        const version = n.fromVersion!;
        if (!artifacts.has(version)) artifacts.set(version, (await this.releaseInfo(r.component, version)).artifact);
        sends.push({ node: n, version, artifact: artifacts.get(version)!, commandId: revertCommandId(r.id, n) });
      }
      // a rolled-back rollout conducted again: a late outcome showed these nodes still on its release
      const decision: RolloutAudit | undefined = late
        ? {
            actor: systemActor('scheduler'),
            action: 'rollout.late-revert',
            params: { version: r.targetVersion, replica: this.config.SCHEDULER_REPLICA_ID },
          }
        : undefined;
      await this.sendBatch(r, 'rollback', sends, lock, decision);
      await this.waitFor(
        r,
        batch.map((n) => n.nodeId),
        lock,
        true,
      );
    }
    const after = await this.repo.nodes(r.id);
    const stuck = after.filter((n) => n.status === 'revert_failed' || n.status === NODE_STATUS_ON_TIMEOUT.rollback);
    const back = after.filter((n) => NODE_STATUSES[n.status].counts === 'rolledBack').length;
    await this.move(
      r,
      lock,
      'rolled_back',
      `${r.reason ?? 'rollout failed'}; ${back} node(s) back on their previous version${stuck.length ? `, ${stuck.length} could not be returned: ${stuck.map((n) => n.nodeId).join(', ')}` : ''}`,
    );
  }

  /**
   * Sends one batch: every node is marked sent in one fenced UPDATE first (so an outcome always
   * finds its command), then the commands are published concurrently — each goes to its own
   * node, so their order does not matter, and a batch costs one JetStream round trip, not one
   * per node. A publish that failed fails the conductor; the next one resends (same msgID).
   */
  private async sendBatch(
    r: RolloutEntity,
    action: 'install' | 'rollback',
    targets: CommandTarget[],
    lock: HeldLock,
    audit?: RolloutAudit,
  ): Promise<void> {
    if (targets.length === 0) return;
    this.ensure(lock);
    const issuedAt = new Date(this.clock.now()).toISOString();
    // rollback --restore-data: each node restores the pre-update backup it took in the rollout rolled back.
    const restoreFrom =
      action === 'install' && r.kind === 'rollback' && r.strategy.restoreData && r.rollbackOf
        ? await this.repo.backupsOf(r.rollbackOf)
        : undefined;
    const cmds: InstallCommandV1[] = targets.map(({ node, version, artifact, commandId }) => ({
      commandId: commandId ?? `${r.id}.${node.nodeId}.${action === 'install' ? 'install' : 'revert'}`,
      rolloutId: r.id,
      nodeId: node.nodeId,
      component: r.component,
      version,
      action,
      artifact,
      fencingToken: lock.token,
      lockKey: lock.key,
      health: { minHealthyMs: r.strategy.minHealthyMs, deadlineMs: r.strategy.healthyDeadlineMs },
      ...(restoreFrom?.has(node.nodeId) ? { restoreBackupId: restoreFrom.get(node.nodeId) } : {}),
      ...(action === 'install' && r.strategy.backup === false ? { backup: false } : {}),
      issuedAt,
      // when this conductor gives up on the node (it counts it timed out then): the agent never acts
      // on an install later. A revert has none: returning a node late is still right.
      ...(action === 'install'
        ? { deadline: new Date(Date.parse(issuedAt) + r.strategy.progressDeadlineMs).toISOString() }
        : {}),
    }));
    const marked = await this.repo.markSent(
      r.id,
      cmds.map((c) => ({ nodeId: c.nodeId, commandId: c.commandId })),
      NODE_STATUS_WHILE[action],
      lock.token,
      audit,
    );
    if (marked.stale) throw new LockLostError('a newer conductor claimed the rollout');
    this.ensure(lock);
    // A node whose outcome arrived since it was read is not marked, and needs no command.
    const toSend = cmds.filter((c) => marked.marked.includes(c.nodeId));
    const sent = await Promise.allSettled(toSend.map((cmd) => this.commander.send(cmd)));
    // where each command lies in the stream: what withdrawing it on a timeout deletes
    await this.withdrawals.recordSent(
      r.id,
      toSend.flatMap((c, i) => {
        const s = sent[i];
        return s.status === 'fulfilled' ? [{ nodeId: c.nodeId, commandId: c.commandId, seq: s.value }] : [];
      }),
    );
    const failed = sent.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Waits until every listed node has an outcome, counting nodes past the progress deadline as
   * failed. Returns what its last look saw: the rollout's state and its failed nodes so far. The
   * deadline is judged by Postgres's clock (when the command was recorded as sent and now), never
   * this replica's, which may disagree with the database's or with the replica that sent it.
   */
  private async waitFor(
    r: RolloutEntity,
    nodeIds: string[],
    lock: HeldLock,
    reverting = false,
  ): Promise<BatchProgress> {
    for (;;) {
      this.ensure(lock);
      const deadlineMs = r.strategy.progressDeadlineMs;
      const progress = await this.repo.batchProgress(r.id, nodeIds, deadlineMs);
      if (progress.open.length === 0) return progress;
      const overdue = progress.open.filter((n) => n.overdue).map((n) => n.nodeId);
      // a timed-out install is withdrawn at once: a node that comes back never sees it
      if (overdue.length && (await this.repo.markTimedOut(r.id, overdue, lock.token, deadlineMs)).length)
        await this.withdrawals.run();
      if (!reverting && progress.state === 'aborted') return progress;
      await this.nap(250);
    }
  }

  private async waitWhilePaused(id: string, lock: HeldLock): Promise<RolloutEntity> {
    for (;;) {
      this.ensure(lock);
      const r = (await this.repo.get(id))!;
      if (r.state !== 'paused') return r;
      await this.nap(250);
    }
  }

  /** Sleeps `ms`, checking the lock every 250 ms. */
  private async sleepHeld(ms: number, lock: HeldLock): Promise<void> {
    const until = this.clock.now() + ms;
    while (this.clock.now() < until) {
      this.ensure(lock);
      await this.clock.sleep(Math.min(250, until - this.clock.now()));
    }
  }

  /**
   * Sleeps up to `ms`; an outcome ends the nap early. One that arrived while the conductor was
   * busy (querying, sending) ends the next nap at once, so no outcome waits out a full interval.
   */
  private async nap(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return;
    }
    const early = new AbortController();
    this.wakeUp = () => early.abort();
    try {
      await this.clock.sleep(ms, early.signal);
    } finally {
      this.wakeUp = undefined;
      this.woken = false;
    }
  }

  /**
   * Moves the rollout on. A stale token means the lock was lost; a move the state machine refuses
   * means someone else moved the rollout (an operator aborted or paused it): either ends conducting.
   */
  private async move(
    r: RolloutEntity,
    lock: HeldLock,
    to: ConductorTarget,
    reason?: string,
    audit?: RolloutAudit,
  ): Promise<void> {
    this.ensure(lock);
    const result = await this.repo.transition(r.id, lock.token, to, reason, audit);
    if (result.outcome === 'stale') throw new LockLostError('a newer conductor claimed the rollout');
    if (result.outcome === 'refused') throw new MoveRefusedError(`it is ${result.state} now, not moved to ${to}`);
    r.state = to;
    if (reason) r.reason = reason;
    this.logger.log(`rollout ${r.id} ${to}${reason ? `: ${reason}` : ''}`);
    // what the component counts as running follows its nodes once a rollout has ended
    if (to === 'succeeded' || to === 'failed' || to === 'rolled_back')
      await this.repo
        .nodes(r.id)
        .then((nodes) => this.versions.afterRollout(r, nodes))
        .catch((err: Error) =>
          this.logger.warn(`${r.component}: current version not brought up to date after ${r.id}: ${err.message}`),
        );
  }

  private ensure(lock: HeldLock): void {
    if (!lock.isHeld()) throw new LockLostError(`lost the cluster lock (token ${lock.token})`);
  }

  private async releaseInfo(component: string, version: string): Promise<ReleaseInfoReplyV1> {
    const reply = await this.releases.get(component, version);
    if (!reply.ok) throw new Error(`cannot resolve ${component} ${version}: ${reply.error.message}`);
    return reply.result;
  }
}

/** The state machine refused the conductor's move: someone else moved the rollout meanwhile. */
class MoveRefusedError extends Error {
  override name = 'MoveRefusedError';
}

/** A node to command, with the version and artifact it is to run (and its command id, when not the first of its kind). */
interface CommandTarget {
  node: RolloutNodeEntity;
  version: string;
  artifact: RolloutEntity['artifact'];
  commandId?: string;
}

/**
 * The id of the revert a node is sent: `<rollout>.<node>.revert` at first, and the same again to
 * a node still reverting (a resend, which the stream and the agent dedupe). A node reverted before
 * that a late outcome showed still on the release gets a new one, `<rollout>.<node>.<n>.revert`:
 * the agent already answered the old one, and the stream would drop it as a duplicate.
 */
function revertCommandId(rolloutId: string, n: RolloutNodeEntity): string {
  const previous = n.commandId?.endsWith('.revert') ? n.commandId : undefined;
  if (!previous || n.status === NODE_STATUS_WHILE.rollback) return previous ?? `${rolloutId}.${n.nodeId}.revert`;
  const attempt = Number(/\.(\d+)\.revert$/.exec(previous)?.[1] ?? 1) + 1;
  return `${rolloutId}.${n.nodeId}.${attempt}.revert`;
}

/** Nodes grouped by batch, in batch order. */
function groupBatches(nodes: RolloutNodeEntity[]): RolloutNodeEntity[][] {
  const map = new Map<number, RolloutNodeEntity[]>();
  for (const n of nodes) map.set(n.batch, [...(map.get(n.batch) ?? []), n]);
  return [...map.keys()].sort((a, b) => a - b).map((k) => map.get(k)!);
}
