import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ReleaseMetadataExpiringV1, ReleaseMetadataRole } from '@lockstep/contracts';
import { TufRoles, type OnlineRole, type TufExpiry, type TufOnlineKeySet } from '@lockstep/releases';
import { MetricsRegistry } from '@lockstep/telemetry';
import type { Counter, Gauge } from 'prom-client';
import { CHECKER_CONFIG, type CheckerConfig } from '../checker.config';
import { CHECKER_CLOCK, type CheckerClock } from './checker-clock';
import { isOnlineRole, refreshDue, rolesToWarn, unrefreshedRole, type FreshnessPolicy } from './freshness-policy';
import { MetadataFreshnessRepository, type TufComponent } from './metadata-freshness.repository';

/** What one pass did for one component. */
export interface FreshnessOutcome {
  component: string;
  /** Online roles re-signed in this pass. */
  refreshed: OnlineRole[];
  /** Roles release.metadata_expiring was sent for in this pass (each role version is warned about once). */
  warned: ReleaseMetadataRole[];
  /** Why the repository could not be read or re-signed, if it could not. */
  error?: string;
}

/**
 * Keeps the release metadata of every TUF repository in the deployment's bucket from expiring
 * by neglect: re-signs the timestamp (and the snapshot when due) with the online keys once per
 * CHECKER_TUF_REFRESH_INTERVAL across all replicas, exports each role's expiry as a gauge, and
 * sends release.metadata_expiring once per role version before it expires.
 */
@Injectable()
export class MetadataFreshnessService {
  private readonly logger = new Logger(MetadataFreshnessService.name);
  private readonly expiresGauge: Gauge<'component' | 'role'>;
  private readonly refreshFailures: Counter<'component' | 'code'>;
  private readonly policy: FreshnessPolicy;

  constructor(
    private readonly repo: MetadataFreshnessRepository,
    @Inject(CHECKER_CONFIG) private readonly config: CheckerConfig,
    @Inject(CHECKER_CLOCK) private readonly clock: CheckerClock,
    metrics: MetricsRegistry,
  ) {
    this.policy = {
      refreshIntervalMs: config.CHECKER_TUF_REFRESH_INTERVAL,
      offlineWarningMs: config.CHECKER_TUF_EXPIRY_WARNING,
    };
    this.expiresGauge = metrics.gauge({
      name: 'lockstep_release_metadata_expires_timestamp_seconds',
      help: 'When the current TUF metadata of each role of a component expires (Unix seconds)',
      labelNames: ['component', 'role'],
    });
    this.refreshFailures = metrics.counter({
      name: 'lockstep_release_metadata_refresh_failures_total',
      help: 'Online re-signs of TUF metadata that failed or were refused (RELEASE_REPOSITORY_UNTRUSTED: the bucket holds metadata the offline keys did not sign)',
      labelNames: ['component', 'code'],
    });
  }

  /** One pass over every repository in the bucket; components another replica is working on are skipped. */
  async runAll(): Promise<FreshnessOutcome[]> {
    if (!this.repo.hasStore) return [];
    const out: FreshnessOutcome[] = [];
    for (const component of await this.repo.componentsInBucket()) {
      const outcome = await this.repo.withRefreshLock(component.name, () => this.run(component));
      if (outcome) out.push(outcome);
    }
    return out;
  }

  private async run(tuf: TufComponent): Promise<FreshnessOutcome> {
    const component = tuf.name;
    let expiry: TufExpiry;
    try {
      expiry = await this.repo.expiry(component);
    } catch (err) {
      this.logger.warn(`${component}: TUF metadata cannot be read for refresh: ${(err as Error).message}`);
      return { component, refreshed: [], warned: [], error: (err as Error).message };
    }
    const keys = this.config.LOCKSTEP_TUF_ONLINE_KEYS;
    let refreshed: OnlineRole[] = [];
    let error: string | undefined;
    /** Whether this pass re-signed the online roles; undefined when nothing was due. */
    let refreshWorked: boolean | undefined;
    if (keys && refreshDue(expiry, this.clock(), this.policy)) {
      try {
        const result = await this.repo.refreshOnline(tuf, keys);
        expiry = result.expires;
        refreshed = result.resigned;
        refreshWorked = true;
        this.logger.log(
          `${component}: re-signed ${refreshed.join(' and ')} (timestamp v${result.versions.timestamp}, valid until ${expiry.timestamp.expires.toISOString()})`,
        );
      } catch (err) {
        error = (err as Error).message;
        refreshWorked = false;
        this.refreshFailures.inc({ component, code: (err as { code?: string }).code ?? 'unexpected' });
        this.logger.error(`${component}: TUF metadata could not be re-signed: ${error}`);
      }
    }
    // The mark makes publishes sign a day-long timestamp that only a refresher keeps valid:
    // leave it only while refreshes work (this pass's, or the last one when nothing was due),
    // so a refresher that keeps failing lets it lapse and publishes sign the long timestamp again.
    if (keys && (refreshWorked ?? (await this.repo.lastRefreshSucceeded(component))))
      error ??= await this.markRefresher(component, keys);
    for (const role of TufRoles)
      this.expiresGauge.set({ component, role }, Math.floor(expiry[role].expires.getTime() / 1000));
    const warned: ReleaseMetadataRole[] = [];
    // no key to re-sign what only a refresher keeps valid: say so at the first pass, not hours before it expires
    const unrefreshed = keys ? undefined : unrefreshedRole(expiry, this.policy);
    const soon = rolesToWarn(expiry, this.clock(), this.policy);
    for (const role of TufRoles.filter((r) => r === unrefreshed || soon.includes(r))) {
      const warning = this.warningFor(component, role, expiry, keys !== undefined);
      if (await this.repo.recordWarning(warning)) {
        warned.push(role);
        if (role === unrefreshed)
          this.logger.error(
            `${component}: ${role} metadata expires at ${warning.expiresAt} and this checker holds no online key to re-sign it: checks and installs of ${component} fail from then on; ${warning.action}`,
          );
        else this.logger.warn(`${component}: ${role} metadata expires at ${warning.expiresAt}; ${warning.action}`);
      }
    }
    return { component, refreshed, warned, ...(error ? { error } : {}) };
  }

  /**
   * Leaves this checker's mark in the component's bucket prefix, so publishes there sign the
   * short timestamp it keeps fresh (call it only while its refreshes work); the error message
   * when the root does not trust its keys.
   */
  private async markRefresher(component: string, keys: TufOnlineKeySet): Promise<string | undefined> {
    try {
      await this.repo.markRefresher(component, keys, this.policy.refreshIntervalMs);
      return undefined;
    } catch (err) {
      this.logger.error(`${component}: cannot serve as its online refresher: ${(err as Error).message}`);
      return (err as Error).message;
    }
  }

  private warningFor(
    component: string,
    role: ReleaseMetadataRole,
    expiry: TufExpiry,
    haveKeys: boolean,
  ): ReleaseMetadataExpiringV1 {
    const online = isOnlineRole(role);
    const byHand = `run \`lockstep release refresh --component ${component}\` with the key file`;
    const action = !online
      ? `${byHand} before then (${role} is signed offline)`
      : haveKeys
        ? `the checker could not re-sign it: check the checker's logs and S3 access, or ${byHand}`
        : `set LOCKSTEP_TUF_ONLINE_KEYS_FILE on the checker to the online key file from \`lockstep keys init\`, or ${byHand}`;
    return {
      component,
      role,
      version: expiry[role].version,
      expiresAt: expiry[role].expires.toISOString(),
      online,
      action,
    };
  }
}
