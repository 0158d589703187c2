import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type Audited,
  type LockReleaseReplyV1,
  type LockReleaseV1,
  QueryErrorCode,
  type QueryReply,
  type ReleaseInfoReplyV1,
  type RollbackCreateV1,
  type RolloutActionV1,
  type RolloutCreateReplyV1,
  type RolloutCreateV1,
  type RolloutPlanV1,
  type RolloutState,
  RolloutRequestErrorCode,
  RolloutStateErrorCode,
} from '@lockstep/contracts';
import { AuditOutcome, type RolloutEntity, type RolloutStrategy } from '@lockstep/persistence';
import { getScheme } from '@lockstep/versioning';
import { ComponentVersions } from '../fleet/component-versions.service';
import { FleetView } from '../fleet/fleet-view.service';
import { AuditRepository } from '../audit/audit.repository';
import { CLUSTER_LOCK, LockHolderChangedError, type ClusterLockAdmin } from './cluster-lock.port';
import { ReleaseInfoRepository } from './release-info.repository';
import { planRollout, resolveCount, RolloutPlanError } from './rollout-planner';
import { ActiveRolloutError, RolloutRepository } from './rollout.repository';
import { RolloutReconciler } from './rollout-reconciler.service';

/** The cluster lock every rollout takes. */
export const CLUSTER_LOCK_KEY = 'cluster';

const fail = (code: string, message: string) => ({ ok: false as const, error: { code, message } });

/** The refusal of a new rollout while `active` is planned, running or paused (or still reverting). */
const activeRefusal = (active: RolloutEntity | undefined) =>
  fail(
    RolloutStateErrorCode.Active,
    active
      ? `rollout ${active.id} (${active.component} → ${active.targetVersion}) is ${active.state}; only one rollout runs per cluster — wait, or pause/abort it`
      : 'another rollout was started at the same moment; only one rollout runs per cluster — look with lockstep rollouts, then wait, or pause/abort it',
  );

/** Plans, starts and steers rollouts; refuses what could not work, with a message that says why. */
@Injectable()
export class RolloutsService {
  private readonly logger = new Logger(RolloutsService.name);

  constructor(
    private readonly repo: RolloutRepository,
    private readonly nodes: FleetView,
    private readonly reconciler: RolloutReconciler,
    private readonly releases: ReleaseInfoRepository,
    @Inject(CLUSTER_LOCK) private readonly lock: ClusterLockAdmin,
    private readonly audit: AuditRepository,
    private readonly versions: ComponentVersions,
  ) {}

  /**
   * An operator's pause, resume or abort; refused (INVALID_STATE) when the rollout's state does not
   * allow it. An abort ends the rollout: the nodes it updated before run the new version, so the
   * component's version follows them at once (a failure here is only logged; the periodic look
   * at the fleet catches up).
   */
  async act(req: Audited<RolloutActionV1>): Promise<QueryReply<{ state: RolloutState }>> {
    const r = await this.repo.operatorAction(req.rolloutId, req.action, req.actor);
    if (!r.ok) return fail(RolloutStateErrorCode.InvalidState, r.message);
    if (r.state === 'aborted') await this.followAbort(req.rolloutId);
    return { ok: true, result: { state: r.state } };
  }

  private async followAbort(rolloutId: string): Promise<void> {
    try {
      const [rollout, nodes] = await Promise.all([this.repo.get(rolloutId), this.repo.nodes(rolloutId)]);
      if (rollout) await this.versions.afterRollout(rollout, nodes);
    } catch (err) {
      this.logger.warn(`current version not brought up to date after aborting ${rolloutId}: ${(err as Error).message}`);
    }
  }

  /**
   * Removes the holder the operator named by its fencing token, and no other: a newer, healthy
   * holder is never removed (refused, LOCK_HOLDER_CHANGED, and recorded as refused).
   *
   * Ordering: the audit record is appended first, inside a transaction that holds the chain's
   * head; the compare-and-delete in the KV bucket runs next, still inside it; the transaction
   * commits only when the delete succeeded and rolls back (no record of a release that did not
   * happen) when it was refused. The one window left is a commit failing after the delete; the
   * error then reaches the operator, who sees the lock free and no record.
   */
  async releaseLock(req: LockReleaseV1): Promise<QueryReply<LockReleaseReplyV1>> {
    const audit = { actor: req.actor, action: 'lock.release', target: req.key };
    const seen = await this.lock.holder(req.key);
    try {
      if (!seen || seen.token !== req.token)
        throw new LockHolderChangedError(
          seen
            ? `lock ${req.key} is held by ${seen.holder} under token ${seen.token}, not ${req.token}: that holder is not the one you named and keeps the lock. Look again with \`lockstep locks\``
            : `lock ${req.key} is not held (the holder with token ${req.token} is gone); nothing was removed`,
          seen,
        );
      const removed = await this.audit.recordAround(
        { ...audit, params: { token: req.token, reason: req.reason, removed: seen } },
        () => this.lock.releaseHolder(req.key, req.token),
      );
      return { ok: true, result: { released: true, removed: { ...removed } } };
    } catch (err) {
      if (!(err instanceof LockHolderChangedError)) throw err;
      await this.audit.record({
        ...audit,
        outcome: AuditOutcome.Refused,
        params: { token: req.token, reason: req.reason, current: err.current, refusal: err.message },
      });
      return fail(RolloutStateErrorCode.LockHolderChanged, err.message);
    }
  }

  /** Plans a rollout and, unless it is a dry run, stores it with its audit record (`rollout.create`, or `rollback.create`). */
  async create(
    req: Audited<RolloutCreateV1>,
    kind: 'upgrade' | 'downgrade' | 'rollback' = req.direction,
    rollbackOf: string | null = null,
    extra: Pick<RolloutStrategy, 'restoreData' | 'backup'> = {},
    within?: Parameters<RolloutRepository['create']>[2]['within'],
  ): Promise<QueryReply<RolloutCreateReplyV1>> {
    // The checker's verification and the fleet view are independent: ask for both at once.
    const nodes = this.nodes.list();
    nodes.catch(() => undefined); // awaited below, once the release is known to exist
    let info: QueryReply<ReleaseInfoReplyV1>;
    try {
      info = await this.releases.get(req.component, req.version);
    } catch (err) {
      return fail(
        RolloutRequestErrorCode.CheckerUnavailable,
        `the checker did not answer (${(err as Error).message}); it verifies the release artifact before a rollout — start it or check NATS`,
      );
    }
    if (!info.ok) return info;
    let plan: RolloutPlanV1;
    try {
      plan = planRollout(req, await nodes, CLUSTER_LOCK_KEY, kind === 'rollback' && rollbackOf ? { rollbackOf } : {});
    } catch (err) {
      if (err instanceof RolloutPlanError) return fail(err.code, err.message);
      throw err;
    }
    const scheme = getScheme(info.result.scheme);
    const wrongWay = plan.batches
      .flatMap((b) => b.nodes)
      .filter(
        (n) =>
          n.fromVersion &&
          scheme.isValid(n.fromVersion) &&
          (kind === 'upgrade'
            ? scheme.compare(n.fromVersion, req.version) > 0
            : kind === 'downgrade' && scheme.compare(n.fromVersion, req.version) < 0),
      );
    if (wrongWay.length) {
      const hint = kind === 'upgrade' ? 'use lockstep downgrade' : 'use lockstep upgrade';
      return fail(
        RolloutRequestErrorCode.WrongDirection,
        `${wrongWay.map((n) => `${n.id} runs ${n.fromVersion}`).join(', ')}: ${req.version} is not an ${kind} for them; ${hint}`,
      );
    }
    plan.kind = kind;
    if (req.dryRun) return { ok: true, result: { plan } };
    // A quick, friendly refusal; the database's one-active-rollout index decides races (below).
    const active = (await this.repo.active())[0];
    if (active) return activeRefusal(active);
    const audit = {
      actor: req.actor,
      action: kind === 'rollback' ? 'rollback.create' : 'rollout.create',
      params: {
        component: req.component,
        version: req.version,
        kind,
        selector: req.selector,
        nodes: plan.batches.reduce((a, b) => a + b.nodes.length, 0),
        ...(rollbackOf ? { rollbackOf } : {}),
        ...extra,
      },
    };
    let rollout: RolloutEntity;
    try {
      rollout = await this.repo.create(plan, audit, {
        artifact: info.result.artifact,
        selector: req.selector,
        kind,
        rollbackOf,
        within,
        strategy: {
          maxParallel: req.maxParallel,
          canary: resolveCount(
            req.canary,
            plan.batches.reduce((a, b) => a + b.nodes.length, 0),
          ),
          minHealthyMs: req.minHealthyMs,
          healthyDeadlineMs: req.healthyDeadlineMs,
          progressDeadlineMs: req.progressDeadlineMs,
          maxFailures: plan.maxFailures,
          autoRollback: req.autoRollback,
          pauseBetweenBatchesMs: req.pauseBetweenBatchesMs,
          canarySoakMs: req.canarySoakMs ?? req.pauseBetweenBatchesMs,
          ...extra,
        },
      });
    } catch (err) {
      if (!(err instanceof ActiveRolloutError)) throw err;
      return activeRefusal((await this.repo.active())[0]);
    }
    this.reconciler.wake();
    return { ok: true, result: { plan, rolloutId: rollout.id } };
  }

  /** Returns every node a rollout updated to the version it ran before. */
  async rollback(req: Audited<RollbackCreateV1>): Promise<QueryReply<RolloutCreateReplyV1>> {
    const target: RolloutEntity | null = req.rolloutId ? await this.repo.get(req.rolloutId) : await this.repo.latest();
    if (!target)
      return fail(
        QueryErrorCode.NotFound,
        req.rolloutId ? `rollout ${req.rolloutId} does not exist` : 'there is no rollout to roll back',
      );
    const touched = (await this.repo.nodes(target.id)).filter((n) => n.status === 'succeeded' && n.fromVersion);
    if (touched.length === 0)
      return fail(
        RolloutRequestErrorCode.NothingToRollBack,
        `rollout ${target.id} left no node on ${target.targetVersion}; nothing to roll back`,
      );
    const versions = [...new Set(touched.map((n) => n.fromVersion!))];
    if (versions.length > 1)
      return fail(
        RolloutRequestErrorCode.MixedPreviousVersions,
        `nodes came from ${versions.join(', ')}; roll them back per version with lockstep downgrade --nodes`,
      );
    const noBackup = req.restoreData ? touched.filter((n) => !n.backupId) : [];
    if (noBackup.length) {
      return fail(
        RolloutRequestErrorCode.NoPreUpdateBackup,
        `${noBackup.map((n) => n.nodeId).join(', ')} took no pre-update backup in rollout ${target.id} (AGENT_BACKUP_BEFORE_UPDATE off, or the rollout predates backups); roll back without --restore-data, or restore a backup with lockstep backup restore`,
      );
    }
    return this.create(
      {
        component: target.component,
        version: versions[0],
        selector: touched.map((n) => n.nodeId).join(','),
        direction: 'downgrade',
        maxParallel: req.maxParallel,
        canary: 0,
        minHealthyMs: target.strategy.minHealthyMs,
        healthyDeadlineMs: target.strategy.healthyDeadlineMs,
        progressDeadlineMs: target.strategy.progressDeadlineMs,
        maxFailures: 0,
        autoRollback: false,
        pauseBetweenBatchesMs: 0,
        dryRun: false,
        actor: req.actor,
      },
      'rollback',
      target.id,
      req.restoreData ? { restoreData: true } : {},
    );
  }
}
