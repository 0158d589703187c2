import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CheckFailedV1,
  type CheckResultV1,
  formatIssues,
  QueryErrorCode,
  type ReleaseAvailableV1,
} from '@lockstep/contracts';
import type { ComponentEntity } from '@lockstep/persistence';
import { OBJECT_STORE, type ObjectStore } from '@lockstep/storage';
import { channelAccepts, classifyCandidate, getScheme, newerThan } from '@lockstep/versioning';
import { MetricsRegistry } from '@lockstep/telemetry';
import type { Counter } from 'prom-client';
import { SpanKind, SpanStatusCode, ROOT_CONTEXT, context, trace } from '@opentelemetry/api';
import { createGuardedFetch, type GuardedFetch } from '@lockstep/net-guard';
import { CHECKER_CONFIG, type CheckerConfig } from '../checker.config';
import { SourceCheckError, SourceErrorCode, type SourceRelease } from '../sources/release-source';
import { getSource } from '../sources/registry';
import { CheckRepository } from './check.repository';

/** Why a check ran: a poll repeats a known failure silently; an operator's request always reports. */
export type CheckTrigger = 'poll' | 'demand';

/**
 * Checks one component's release source and announces what is new: verified releases of
 * the component's channel, newer than what it runs, each exactly once.
 */
@Injectable()
export class ReleaseCheckService implements OnApplicationShutdown {
  private readonly logger = new Logger(ReleaseCheckService.name);
  private readonly shutdown = new AbortController();
  private readonly checksTotal: Counter<'component' | 'result'>;
  private readonly announcedTotal: Counter<'component'>;
  /** Every URL a source plugin reaches goes through the destination guard. */
  private readonly fetch: GuardedFetch;

  constructor(
    private readonly repo: CheckRepository,
    @Inject(CHECKER_CONFIG) private readonly config: CheckerConfig,
    metrics: MetricsRegistry,
    @Optional() @Inject(OBJECT_STORE) private readonly store?: ObjectStore,
  ) {
    this.fetch = createGuardedFetch({ allowList: config.CHECKER_ALLOWED_DESTINATIONS });
    this.checksTotal = metrics.counter({
      name: 'lockstep_checker_checks_total',
      help: 'Release source checks by component and result code',
      labelNames: ['component', 'result'],
    });
    this.announcedTotal = metrics.counter({
      name: 'lockstep_checker_releases_announced_total',
      help: 'Releases announced with release.available',
      labelNames: ['component'],
    });
  }

  onApplicationShutdown(): void {
    this.shutdown.abort();
  }

  /** Checks every registered component (skipping those another replica is checking). */
  async checkAll(trigger: CheckTrigger): Promise<CheckResultV1[]> {
    const out: CheckResultV1[] = [];
    for (const c of await this.repo.listComponents()) out.push(await this.check(c, trigger));
    return out;
  }

  /** Checks one component; the result says what was announced or why the check failed. */
  async check(component: ComponentEntity, trigger: CheckTrigger): Promise<CheckResultV1> {
    const tracer = trace.getTracer('lockstep-checker');
    const span = tracer.startSpan(
      `check ${component.name}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'lockstep.component': component.name,
          'lockstep.source': component.sourceType,
          'lockstep.trigger': trigger,
        },
      },
      ROOT_CONTEXT,
    );
    return context.with(trace.setSpan(ROOT_CONTEXT, span), async () => {
      try {
        const result = (await this.repo.withComponentLock(component.name, () => this.run(component, trigger))) ?? {
          component: component.name,
          ok: true,
          announced: [],
          skipped: true,
        };
        span.setAttribute('lockstep.announced', result.announced.join(','));
        this.checksTotal.inc({ component: component.name, result: result.ok ? 'ok' : (result.error?.code ?? 'error') });
        if (result.announced.length) this.announcedTotal.inc({ component: component.name }, result.announced.length);
        if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: result.error?.code });
        return result;
      } finally {
        span.end();
      }
    });
  }

  private async run(component: ComponentEntity, trigger: CheckTrigger): Promise<CheckResultV1> {
    const state = await this.repo.loadState(component.name);
    try {
      const result = await this.fetchSource(component, state.state ?? {});
      const releases = this.select(component, result.releases);
      const announced = await this.repo.recordSuccess(component.name, result.state, releases);
      if (announced.length) this.logger.log(`${component.name}: announced ${announced.join(', ')}`);
      return { component: component.name, ok: true, announced };
    } catch (err) {
      const failure: CheckFailedV1 =
        err instanceof SourceCheckError
          ? { component: component.name, source: component.sourceType, code: err.code, reason: err.message }
          : {
              component: component.name,
              source: component.sourceType,
              code: QueryErrorCode.CheckError,
              reason: `unexpected error while checking: ${(err as Error).message}`,
            };
      const emit = trigger === 'demand' || state.lastErrorCode !== failure.code || state.lastError !== failure.reason;
      this.logger.warn(`${component.name}: check failed (${failure.code}): ${failure.reason}`);
      await this.repo.recordFailure(component.name, failure, emit);
      return {
        component: component.name,
        ok: false,
        announced: [],
        error: { code: failure.code, reason: failure.reason },
      };
    }
  }

  /**
   * A release's verified artifact, whatever the component runs now (rollouts and downgrades
   * need it). Verifies against the source afresh (that release only, where the source can
   * single it out); throws SourceCheckError when it cannot.
   */
  async releaseInfo(component: ComponentEntity, version: string): Promise<SourceRelease | undefined> {
    const state = await this.repo.loadState(component.name);
    const result = await this.fetchSource(component, state.state ?? {}, version);
    return result.releases.find((r) => r.version === version);
  }

  /** Runs the component's source plugin once, in a scratch directory, within CHECKER_TIMEOUT. */
  private async fetchSource(component: ComponentEntity, state: Record<string, unknown>, only?: string) {
    const workDir = await mkdtemp(join(tmpdir(), `lockstep-check-${component.name}-`));
    try {
      const plugin = getSource(component.sourceType);
      const parsed = plugin.configSchema.safeParse(component.sourceConfig);
      if (!parsed.success) {
        throw new SourceCheckError(
          SourceErrorCode.Misconfigured,
          `source settings of ${component.name} are invalid: ${formatIssues(parsed.error)}; fix them with lockstep components add`,
        );
      }
      const signal = AbortSignal.any([AbortSignal.timeout(this.config.CHECKER_TIMEOUT), this.shutdown.signal]);
      return await plugin.check({
        component: component.name,
        config: parsed.data,
        state,
        signal,
        objectStore: this.store,
        fetch: this.fetch,
        workDir,
        only,
      });
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /** The releases to announce: valid for the scheme, visible on the channel, newer than what runs. */
  private select(component: ComponentEntity, releases: SourceRelease[]): ReleaseAvailableV1[] {
    const scheme = getScheme(component.scheme);
    const byVersion = new Map<string, SourceRelease>();
    for (const r of releases) {
      if (!scheme.isValid(r.version)) {
        this.logger.warn(`${component.name}: ignoring ${r.version}: not a valid ${scheme.id} version`);
        continue;
      }
      if (channelAccepts(component.channel as never, r.channel, scheme.isPrerelease(r.version)))
        byVersion.set(r.version, r);
    }
    return newerThan(scheme, component.currentVersion, [...byVersion.keys()]).map((version) => {
      const r = byVersion.get(version)!;
      const c = classifyCandidate({ scheme, current: component.currentVersion, candidate: r });
      return {
        component: component.name,
        version,
        currentVersion: component.currentVersion,
        scheme: scheme.id,
        channel: r.channel,
        kind: c.kind,
        security: c.security,
        hotfix: c.hotfix,
        breaking: c.breaking,
        notes: r.notes,
        artifact: r.artifact,
        source: component.sourceType,
        requires: r.requires ?? {},
      };
    });
  }
}
