import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { effectivePolicy, parseDuration, RolloutCreateV1, systemActor, type UpdatesReplyV1 } from '@lockstep/contracts';
import { windowAt } from '@lockstep/scheduling';
import { CLOCK, type Clock } from '../clock/clock.port';
import { CALENDAR, type Calendar } from '../clock/calendar.port';
import { isUniqueViolation } from '../rollouts/rollout-records';
import { RolloutRepository } from '../rollouts/rollout.repository';
import { RolloutsService } from '../rollouts/rollouts.service';
import { SCHEDULER_CONFIG, type SchedulerConfig } from '../scheduler.config';
import {
  AutomationRepository,
  type AutomaticRollout,
  type AutomaticStart,
  type StoredSchedule,
} from './automation.repository';
import { AutomationSettings, type AutomationSettingsValues } from './automation-settings';
import { planRuns } from './schedule-runs';
import {
  evaluateComponent,
  dependantsOf,
  installOrder,
  mergedWindow,
  refuseCycles,
  windowsOf,
  type DueRun,
  type EvaluatedRelease,
} from './update-evaluation';

const ACTOR = systemActor('scheduler');
/** How often the settings are looked at (the evaluation interval may have changed). */
const SETTINGS_LOOK_MS = 1000;
/** Finished states of an automatic rollout that hold its release. */
const FAILED_STATES = ['failed', 'rolled_back', 'aborted'];

/** The window a release was to start in closed before its rollout was stored. */
class WindowClosedError extends Error {
  override readonly name = 'WindowClosedError';
  constructor(window: string) {
    super(`maintenance window ${window} closed before the rollout started`);
  }
}

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
  private readonly warned = new Map<string, string>();

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
    await this.holdFailedReleases();
    const runs = await this.dueRuns(now, settings);
    const evaluated = await this.evaluateAll(now, runs);
    await this.keepToWindows(now, evaluated, settings);
    // approvals are asked for also while automatic updates are off: the answer is ready when they are on
    for (const e of evaluated.filter((x) => x.decision === 'wait-approval'))
      await this.repo.requestApproval(e, new Date(this.clock.now()), settings.approvalRequests);
    if (!settings.automatic) {
      for (const run of runs)
        await this.record(run, 'nothing-to-do', 'automatic updates are off (setting update.automatic)');
      return;
    }
    // while a rollout runs nothing starts; a due run stays open and fires late once it ends (missed_runs)
    if ((await this.rolloutRepo.active()).length) return;
    let started: EvaluatedRelease | undefined;
    for (const candidate of installOrder(evaluated)) {
      if (await this.start(candidate)) {
        started = candidate;
        break;
      }
    }
    for (const run of runs) {
      if (started?.run?.key === run.key) continue;
      const covered = evaluated.filter((e) => e.run?.key === run.key);
      const detail = started
        ? `${started.component} ${started.version} started instead (one rollout runs at a time)`
        : covered.length
          ? `${covered.map((e) => `${e.component} ${e.version}`).join(', ')} could not start (see the scheduler's log)`
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
    const releasesOf = new Map(
      await Promise.all(all.map(async (c) => [c.name, await this.repo.releases(c.name)] as const)),
    );
    const requiredBy = dependantsOf(all, releasesOf);
    const out: EvaluatedRelease[] = [];
    for (const component of all) {
      const [holds, approvals] = await Promise.all([
        this.repo.holds(component.name),
        this.repo.approvals(component.name),
      ]);
      out.push(
        ...evaluateComponent({
          component,
          releases: releasesOf.get(component.name) ?? [],
          policy: effectivePolicy(policyFile, component.name),
          windows,
          holds,
          approvals,
          dueRuns: runs,
          running,
          requiredBy: requiredBy.get(component.name) ?? [],
          now,
        }),
      );
    }
    // a cycle is looked for across every component, also when one is asked for
    return refuseCycles(out, all).filter((e) => only === undefined || e.component === only);
  }

  /**
   * Starts the automatic rollout of `e`; false when it did not start (recorded on its run, if
   * any). A release whose automatic rollout succeeded may start again: nodes that lag (back from
   * lost, another node group) still run the older version, and the planner leaves out those at it.
   */
  private async start(e: EvaluatedRelease): Promise<boolean> {
    const latest = (await this.repo.automaticRollouts({ component: e.component, version: e.version }))[0];
    if (latest && ['planned', 'running', 'paused'].includes(latest.state)) return false;
    if (latest && FAILED_STATES.includes(latest.state) && (await this.holdFailed(latest))) return false;
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
      const reply = await this.rollouts.create({ ...request, actor: ACTOR }, 'upgrade', null, backup, async (m, r) => {
        // the window may have closed while this replica asked the checker: then nothing is stored
        if (e.window && !windowAt(e.window.spec, this.calendar.now()).open) throw new WindowClosedError(e.window.name);
        await this.repo.recordStart(m, r.id, start);
      });
      if (reply.ok) {
        this.logger.log(`automatic rollout ${reply.result.rolloutId}: ${e.component} → ${e.version} (${e.reason})`);
        return true;
      }
      this.warnOnce(
        `${e.component}@${e.version}`,
        `automatic rollout of ${e.component} ${e.version} not started: ${reply.error.message}`,
      );
      if (run) await this.record(run, 'failed', reply.error.message);
      return false;
    } catch (err) {
      if (isUniqueViolation(err, 'schedule_runs_pkey')) return false; // another replica fired this run
      if (err instanceof WindowClosedError) return false;
      throw err;
    }
  }

  /**
   * Holds the release of a failed automatic rollout, once per failed rollout (whatever the
   * clocks of the replicas say); true when it is held now, so it must not start again.
   */
  private async holdFailed(r: AutomaticRollout): Promise<boolean> {
    const reason = `automatic rollout ${r.rolloutId} ${r.state.replace('_', ' ')}${r.reason ? ` (${r.reason})` : ''}; release the hold with lockstep release-hold ${r.component} --version ${r.version} to let it install again`;
    const outcome = await this.repo.holdFailedRollout(r, reason, new Date(this.clock.now()));
    if (outcome === 'held') this.logger.warn(`held ${r.component} ${r.version}: ${reason}`);
    return outcome === 'held';
  }

  private async holdFailedReleases(): Promise<void> {
    const all = await this.repo.automaticRollouts();
    const latestPerRelease = new Map<string, (typeof all)[number]>();
    for (const r of all)
      if (!latestPerRelease.has(`${r.component}@${r.version}`)) latestPerRelease.set(`${r.component}@${r.version}`, r);
    for (const r of latestPerRelease.values()) if (FAILED_STATES.includes(r.state)) await this.holdFailed(r);
  }

  /**
   * Pauses an automatic rollout started in a window when no window of its component is open any
   * more (before its next batch); resumes one it paused when a window is open again, or when its
   * window was removed, and only while the release may still install (automatic updates on, not
   * held, rejected or skipped since). An operator's pause is never resumed here.
   */
  private async keepToWindows(
    now: Date,
    evaluated: readonly EvaluatedRelease[],
    settings: AutomationSettingsValues,
  ): Promise<void> {
    const [policyFile, windows] = await Promise.all([this.repo.policy(), this.repo.windows()]);
    for (const r of await this.repo.automaticRollouts({ activeOnly: true })) {
      if (!r.windowName) continue;
      const own = windowsOf(r.component, effectivePolicy(policyFile, r.component), windows);
      const merged = mergedWindow(own, now);
      const gone = !windows.some((w) => w.name === r.windowName);
      if (r.state === 'running' && !r.pausedForWindow && !gone && !merged?.open) {
        const at = merged?.opensAt ? merged.opensAt.toISOString() : 'when a window opens';
        await this.rolloutRepo.operatorAction(r.rolloutId, 'pause', ACTOR, {
          reason: `maintenance window ${r.windowName} closed; resumes when a window opens again (${at})`,
          within: (m) => this.repo.setPausedForWindow(m, r.rolloutId, true),
        });
      } else if (r.state === 'paused' && r.pausedForWindow && (gone || merged?.open)) {
        const release = evaluated.find((e) => e.component === r.component && e.version === r.version);
        const mayGoOn = settings.automatic && release && ['install-now', 'wait-window'].includes(release.decision);
        if (!mayGoOn) {
          this.warnOnce(
            `resume:${r.rolloutId}`,
            `rollout ${r.rolloutId} stays paused: ${settings.automatic ? (release?.reason ?? `${r.component} ${r.version} is not wanted any more`) : 'automatic updates are off'}; resume or abort it with lockstep rollouts`,
          );
          continue;
        }
        await this.rolloutRepo.operatorAction(r.rolloutId, 'resume', ACTOR, {
          reason: gone
            ? `maintenance window ${r.windowName} was removed or disabled; the paused rollout goes on`
            : `a maintenance window of ${r.component} is open again`,
          within: (m) => this.repo.setPausedForWindow(m, r.rolloutId, false),
        });
      }
    }
  }

  /** Logs `message` once per `key` until it changes (each replica evaluates every few seconds). */
  private warnOnce(key: string, message: string): void {
    if (this.warned.get(key) === message) return;
    this.warned.set(key, message);
    this.logger.warn(message);
  }

  /** The schedule runs to fire now; missed runs that will not fire are recorded as skipped. */
  private async dueRuns(now: Date, settings: AutomationSettingsValues): Promise<FiringRun[]> {
    const graceMs = Math.max(3 * settings.evaluationIntervalMs, 60_000);
    const out: FiringRun[] = [];
    for (const s of await this.repo.schedules(now, graceMs)) {
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
