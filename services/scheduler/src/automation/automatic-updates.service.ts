import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { effectivePolicy, parseDuration, RolloutCreateV1, systemActor, type UpdatesReplyV1 } from '@lockstep/contracts';
import { windowAt } from '@lockstep/scheduling';
import { CLOCK, type Clock } from '../clock/clock.port';
import { CALENDAR, type Calendar } from '../clock/calendar.port';
import { isUniqueViolation } from '../rollouts/rollout-records';
import { RolloutRepository } from '../rollouts/rollout.repository';
import { RolloutsService } from '../rollouts/rollouts.service';
import { SCHEDULER_CONFIG, type SchedulerConfig } from '../scheduler.config';
import { AutomationRepository, type AutomaticStart, type StoredSchedule } from './automation.repository';
import { AutomationSettings, type AutomationSettingsValues } from './automation-settings';
import { planRuns } from './schedule-runs';
import { evaluateComponent, installOrder, refuseCycles, type DueRun, type EvaluatedRelease } from './update-evaluation';

const ACTOR = systemActor('scheduler');
/** How often the settings are looked at (the evaluation interval may have changed). */
const SETTINGS_LOOK_MS = 1000;
/** Finished states of an automatic rollout that hold its release. */
const FAILED_STATES = ['failed', 'rolled_back', 'aborted'];

/** A schedule run due now, with where to record it. */
interface FiringRun extends DueRun {
  scheduleId: string;
  late: boolean;
}

/**
 * Automatic updates (issue 13): on every replica, every `update.evaluation_interval`, it
 *  1. pauses automatic rollouts whose maintenance window closed (before their next batch) and
 *     resumes those it paused once a window is open again;
 *  2. holds a release whose automatic rollout failed, so the next window does not retry it;
 *  3. fires the schedule runs that are due, each exactly once across replicas: the run's key is
 *     the primary key of `schedule_runs`, inserted in the transaction that creates its rollout;
 *  4. evaluates every component's newer releases against its policy, asks once for approvals,
 *     and starts at most one rollout (the cluster runs one at a time; the database's
 *     one-active-rollout index settles replicas that decide at the same moment).
 */
@Injectable()
export class AutomaticUpdates implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AutomaticUpdates.name);
  private readonly stop = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly repo: AutomationRepository,
    private readonly settings: AutomationSettings,
    private readonly rollouts: RolloutsService,
    private readonly rolloutRepo: RolloutRepository,
    @Inject(CALENDAR) private readonly calendar: Calendar,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stop.abort();
    await this.loop;
  }

  /**
   * Evaluates every `update.evaluation_interval`; the settings are read every second, so a
   * shorter interval set meanwhile takes effect at once, without a restart.
   */
  private async run(): Promise<void> {
    let last = -Infinity;
    while (!this.stop.signal.aborted) {
      try {
        const settings = await this.settings.read();
        if (this.clock.now() - last >= settings.evaluationIntervalMs) {
          last = this.clock.now();
          await this.tick(settings);
        }
      } catch (err) {
        this.logger.warn(`automatic updates: evaluation failed, trying again: ${(err as Error).message}`);
      }
      await this.clock.sleep(SETTINGS_LOOK_MS, this.stop.signal);
    }
  }

  /** One evaluation (see the class comment); exported for tests. */
  async tick(settings: AutomationSettingsValues): Promise<void> {
    const now = this.calendar.now();
    const windows = await this.repo.windows();
    await this.keepToWindows(now, windows);
    await this.holdFailedReleases();
    const runs = await this.dueRuns(now, settings);
    if (!settings.automatic) {
      for (const run of runs)
        await this.record(run, 'nothing-to-do', 'automatic updates are off (setting update.automatic)');
      return;
    }
    const evaluated = await this.evaluateAll(now, runs);
    for (const e of evaluated.filter((x) => x.decision === 'wait-approval'))
      await this.repo.requestApproval(e, new Date(this.clock.now()), settings.approvalRequests);
    const active = (await this.rolloutRepo.active())[0];
    const candidate = active ? undefined : installOrder(evaluated)[0];
    const started = candidate ? await this.start(candidate) : undefined;
    for (const run of runs) {
      if (started && candidate?.run?.key === run.key) continue;
      const detail = active
        ? `rollout ${active.id} (${active.component} → ${active.targetVersion}) was under way; one rollout runs at a time`
        : `no release of ${run.components.length ? run.components.join(', ') : 'any component'} waits for it`;
      await this.record(run, 'nothing-to-do', detail);
    }
  }

  /** What `lockstep updates` shows. */
  async view(component?: string): Promise<UpdatesReplyV1> {
    const now = this.calendar.now();
    const settings = await this.settings.read();
    const evaluated = await this.evaluateAll(now, [], component);
    const active = await this.repo.automaticRollouts({ component, activeOnly: true });
    return {
      now: now.toISOString(),
      automatic: settings.automatic,
      items: evaluated.map((e) => ({
        component: e.component,
        version: e.version,
        currentVersion: e.currentVersion,
        class: e.cls,
        decision: e.decision,
        reason: e.reason,
        until: e.until?.toISOString() ?? null,
        publishedAt: e.publishedAt.toISOString(),
        rolloutId: active.find((a) => a.component === e.component && a.version === e.version)?.rolloutId ?? null,
      })),
    };
  }

  private async evaluateAll(now: Date, runs: readonly DueRun[], only?: string): Promise<EvaluatedRelease[]> {
    const [policyFile, windows, all] = await Promise.all([
      this.repo.policy(),
      this.repo.windows(),
      this.repo.components(),
    ]);
    const running = new Map(all.map((c) => [c.name, { version: c.currentVersion, scheme: c.scheme }]));
    const out: EvaluatedRelease[] = [];
    for (const component of all) {
      const [releases, holds, approvals] = await Promise.all([
        this.repo.releases(component.name),
        this.repo.holds(component.name),
        this.repo.approvals(component.name),
      ]);
      out.push(
        ...evaluateComponent({
          component,
          releases,
          policy: effectivePolicy(policyFile, component.name),
          windows,
          holds,
          approvals,
          dueRuns: runs,
          running,
          now,
        }),
      );
    }
    // a cycle is looked for across every component, also when one is asked for
    return refuseCycles(out, all).filter((e) => only === undefined || e.component === only);
  }

  /** Starts the automatic rollout of `e`; false when it did not start (recorded on its run, if any). */
  private async start(e: EvaluatedRelease): Promise<boolean> {
    const latest = (await this.repo.automaticRollouts({ component: e.component, version: e.version }))[0];
    if (latest && !FAILED_STATES.includes(latest.state)) return false; // under way or done
    if (latest && (await this.holdFailed(latest))) return false;
    const policy = effectivePolicy(await this.repo.policy(), e.component);
    const labels = Object.entries(e.window?.nodeLabels ?? {});
    const request = RolloutCreateV1.parse({
      component: e.component,
      version: e.version,
      selector: labels.length ? labels.map(([k, v]) => `${k}=${v}`).join(',') : 'all',
      maxParallel: policy.strategy.maxParallel,
      canary: policy.strategy.canary,
      minHealthyMs: parseDuration(policy.strategy.minHealthy) ?? 0,
      healthyDeadlineMs: parseDuration(policy.strategy.healthyDeadline) ?? undefined,
      maxFailures: policy.strategy.failureBudget,
      autoRollback: policy.strategy.autoRollback,
    });
    const run = e.run as FiringRun | undefined;
    const start: AutomaticStart = {
      component: e.component,
      version: e.version,
      trigger: run ? 'schedule' : e.window ? 'window' : 'immediate',
      windowName: e.window?.name ?? null,
      ...(run
        ? {
            run: {
              key: run.key,
              scheduleId: run.scheduleId,
              dueAt: run.dueAt,
              replica: this.config.SCHEDULER_REPLICA_ID,
              late: run.late,
            },
          }
        : {}),
    };
    try {
      // backupBefore: false skips the nodes' pre-update backups; true leaves them to each node's setting
      const backup = policy.backupBefore ? {} : { backup: false };
      const reply = await this.rollouts.create({ ...request, actor: ACTOR }, 'upgrade', null, backup, (m, r) =>
        this.repo.recordStart(m, r.id, start),
      );
      if (reply.ok) {
        this.logger.log(`automatic rollout ${reply.result.rolloutId}: ${e.component} → ${e.version} (${e.reason})`);
        return true;
      }
      this.logger.warn(`automatic rollout of ${e.component} ${e.version} not started: ${reply.error.message}`);
      if (run) await this.record(run, 'failed', reply.error.message);
      return false;
    } catch (err) {
      if (isUniqueViolation(err, 'schedule_runs_pkey')) return false; // another replica fired this run
      throw err;
    }
  }

  /** Holds the release of a failed automatic rollout unless someone decided about it since; true when it is (now) held. */
  private async holdFailed(r: {
    rolloutId: string;
    component: string;
    version: string;
    state: string;
    reason: string | null;
    finishedAt: Date | null;
  }): Promise<boolean> {
    const since = r.finishedAt ?? new Date(0);
    const reason = `automatic rollout ${r.rolloutId} ${r.state.replace('_', ' ')}${r.reason ? ` (${r.reason})` : ''}; release the hold with lockstep release-hold ${r.component} --version ${r.version} to let it install again`;
    if (await this.repo.holdFailedRelease(r.component, r.version, since, reason, new Date(this.clock.now()))) {
      this.logger.warn(`held ${r.component} ${r.version}: ${reason}`);
      return true;
    }
    return !(await this.repo.holdSince(r.component, r.version, since));
  }

  private async holdFailedReleases(): Promise<void> {
    const all = await this.repo.automaticRollouts();
    const latestPerRelease = new Map<string, (typeof all)[number]>();
    for (const r of all)
      if (!latestPerRelease.has(`${r.component}@${r.version}`)) latestPerRelease.set(`${r.component}@${r.version}`, r);
    for (const r of latestPerRelease.values()) if (FAILED_STATES.includes(r.state)) await this.holdFailed(r);
  }

  /** Pauses automatic rollouts whose window closed; resumes those it paused once their window opens again. */
  private async keepToWindows(now: Date, windows: Awaited<ReturnType<AutomationRepository['windows']>>): Promise<void> {
    for (const r of await this.repo.automaticRollouts({ activeOnly: true })) {
      const w = r.windowName ? windows.find((x) => x.name === r.windowName) : undefined;
      if (!w) continue;
      const state = windowAt(w.spec, now);
      if (!state.open && r.state === 'running' && !r.pausedForWindow) {
        const at = state.opensAt ? state.opensAt.toISOString() : 'never';
        await this.rolloutRepo.operatorAction(r.rolloutId, 'pause', ACTOR, {
          reason: `maintenance window ${w.name} closed; resumes when it opens again (${at})`,
          within: (m) => this.repo.setPausedForWindow(m, r.rolloutId, true),
        });
      } else if (state.open && r.state === 'paused' && r.pausedForWindow) {
        await this.rolloutRepo.operatorAction(r.rolloutId, 'resume', ACTOR, {
          reason: `maintenance window ${w.name} open again`,
          within: (m) => this.repo.setPausedForWindow(m, r.rolloutId, false),
        });
      }
    }
  }

  /** The schedule runs to fire now; missed runs that will not fire are recorded as skipped. */
  private async dueRuns(now: Date, settings: AutomationSettingsValues): Promise<FiringRun[]> {
    const graceMs = Math.max(3 * settings.evaluationIntervalMs, 60_000);
    const out: FiringRun[] = [];
    for (const s of await this.repo.schedules(now)) {
      const plan = planRuns(s, now, { graceMs, missed: settings.missedRuns, catchUpLimitMs: settings.catchUpLimitMs });
      if (plan.skipped) {
        const { count, first } = plan.skipped;
        await this.repo.recordRun(
          {
            key: plan.skipped.key,
            scheduleId: s.id,
            dueAt: plan.skipped.dueAt,
            replica: this.config.SCHEDULER_REPLICA_ID,
          },
          'skipped-missed',
          `${count} run(s) from ${first.toISOString()} were missed while no scheduler replica ran (setting schedule.missed_runs = ${settings.missedRuns}, catch-up limit ${settings.catchUpLimitMs / 1000}s)`,
        );
      }
      if (plan.fire) out.push(this.firing(s, plan.fire));
    }
    return out;
  }

  private firing(s: StoredSchedule, fire: { key: string; dueAt: Date; late: boolean }): FiringRun {
    return {
      key: fire.key,
      scheduleId: s.id,
      scheduleName: s.name,
      dueAt: fire.dueAt,
      timezone: s.spec.timezone,
      components: s.components,
      classes: s.classes,
      late: fire.late,
    };
  }

  private async record(run: FiringRun, outcome: 'nothing-to-do' | 'failed', detail: string): Promise<void> {
    await this.repo.recordRun(
      { key: run.key, scheduleId: run.scheduleId, dueAt: run.dueAt, replica: this.config.SCHEDULER_REPLICA_ID },
      outcome,
      run.late ? `${detail} (run once on recovery: it was due while no replica ran)` : detail,
    );
  }
}
