import { withTryAdvisoryLock } from '../advisory-lock';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { Subjects, systemActor, type ReleaseMetadataExpiringV1 } from '@lockstep/contracts';
import { appendAudit, AuditOutcome, ComponentEntity, enqueueEvent, SourceStateEntity } from '@lockstep/persistence';
import {
  markOnlineRefresher,
  TufRepositoryWriter,
  TufRoles,
  type RefreshOnlineResult,
  type TufExpiry,
  type TufOnlineKeySet,
  type TufVersionFloor,
} from '@lockstep/releases';
import { OBJECT_STORE, type ObjectStore } from '@lockstep/storage';
import { DataSource } from 'typeorm';
import { decodeTrustedRoot } from '../sources/tuf/tuf-source.config';
import { trustedVersions } from '../sources/tuf/tuf-trusted-state';
import { CHECKER_CLOCK, type CheckerClock } from './checker-clock';

const SOURCE = '/lockstep/checker';
const REFRESH_ACTION = 'release.metadata-refresh';

/** A component whose TUF repository the refresher keeps fresh. */
export interface TufComponent {
  name: string;
  /** The root pinned in the component's source settings (`trustedRoot`, JSON or base64). */
  trustedRoot: string;
}

/**
 * I/O of the metadata refresher: which components have a TUF repository in the deployment's
 * bucket, their metadata (read and re-signed through TufRepositoryWriter), a per-component
 * advisory lock so one replica at a time works on a repository, and the once-only warnings.
 */
@Injectable()
export class MetadataFreshnessRepository {
  private readonly writer: TufRepositoryWriter;

  constructor(
    private readonly ds: DataSource,
    @Inject(CHECKER_CLOCK) private readonly clock: CheckerClock,
    @Optional() @Inject(OBJECT_STORE) private readonly store?: ObjectStore,
  ) {
    this.writer = new TufRepositoryWriter(clock);
  }

  /** True when the checker has an object store to reach s3-mode repositories. */
  get hasStore(): boolean {
    return this.store !== undefined;
  }

  /**
   * Components whose TUF repository sits in this deployment's bucket at the layout
   * `lockstep release publish` writes (tuf source, s3 mode, default prefix).
   */
  async componentsInBucket(): Promise<TufComponent[]> {
    const rows = await this.ds
      .getRepository(ComponentEntity)
      .find({ where: { sourceType: 'tuf' }, order: { name: 'ASC' } });
    return rows.flatMap((c) => {
      const config = c.sourceConfig as { mode?: string; prefix?: string; trustedRoot?: string };
      return config.mode === 's3' && config.prefix === undefined
        ? [{ name: c.name, trustedRoot: config.trustedRoot ?? '' }]
        : [];
    });
  }

  /** Expiry and version of each role's current metadata. */
  expiry(component: string): Promise<TufExpiry> {
    return this.writer.expiry(this.requireStore(), component);
  }

  /**
   * Re-signs the timestamp (and snapshot when due) with the online keys, and writes the audit
   * record of the attempt (the checker acting on its own) once the bucket answered. The
   * metadata is verified first from the component's pinned root, and must not be older than
   * what the last successful refresh signed (its audit record): the bucket is not trusted.
   */
  async refreshOnline(
    { name: component, trustedRoot }: TufComponent,
    keys: TufOnlineKeySet,
  ): Promise<RefreshOnlineResult> {
    const audit = (outcome: AuditOutcome, params: Record<string, unknown>) =>
      appendAudit(this.ds.manager, {
        actor: systemActor('checker'),
        action: REFRESH_ACTION,
        target: component,
        params,
        outcome,
        at: this.clock(),
      });
    let result: RefreshOnlineResult;
    try {
      const pinnedRoot = decodeTrustedRoot(trustedRoot);
      result = await this.writer.refreshOnline({
        store: this.requireStore(),
        component,
        keys,
        trustedRoot: pinnedRoot,
        notBefore: await this.versionFloor(component, pinnedRoot),
      });
    } catch (err) {
      await audit(AuditOutcome.Failed, { error: (err as Error).message, code: (err as { code?: string }).code });
      throw err;
    }
    await audit(AuditOutcome.Ok, {
      resigned: result.resigned,
      versions: result.versions,
      timestampExpires: result.expires.timestamp.expires.toISOString(),
    });
    return result;
  }

  /**
   * True when the last refresh of the component (by any replica, from its audit record)
   * re-signed it; false when it failed or none was ever attempted.
   */
  async lastRefreshSucceeded(component: string): Promise<boolean> {
    const [last] = await this.ds.query<Array<{ outcome: string }>>(
      `SELECT outcome FROM audit_log WHERE action = $1 AND target = $2 ORDER BY id DESC LIMIT 1`,
      [REFRESH_ACTION, component],
    );
    return last?.outcome === AuditOutcome.Ok;
  }

  /**
   * Marks this checker as the component's online refresher in the bucket (rewritten once the
   * mark is `renewAfterMs` old); throws when the component's root does not trust the keys.
   */
  async markRefresher(component: string, keys: TufOnlineKeySet, renewAfterMs: number): Promise<void> {
    await markOnlineRefresher(this.requireStore(), component, keys, this.clock(), renewAfterMs);
  }

  /**
   * Versions the repository must not fall below: the highest of what the last successful
   * refresh signed (its audit record) and what the component's last check trusted under the
   * same pinned root (the tuf source's state). Both live in Postgres, where a bucket writer
   * cannot reach, so a replayed older release set in the bucket is refused, not re-signed.
   */
  private async versionFloor(component: string, pinnedRoot: Buffer): Promise<TufVersionFloor> {
    const [signed] = await this.ds.query<Array<{ versions: TufVersionFloor | null }>>(
      `SELECT params->'versions' AS versions FROM audit_log
        WHERE action = $1 AND target = $2 AND outcome = $3 ORDER BY id DESC LIMIT 1`,
      [REFRESH_ACTION, component, AuditOutcome.Ok],
    );
    const checked = await this.ds.getRepository(SourceStateEntity).findOneBy({ component });
    const seen = trustedVersions(checked?.state ?? {}, pinnedRoot);
    const floor: TufVersionFloor = { ...signed?.versions };
    for (const role of TufRoles) floor[role] = Math.max(floor[role] ?? 0, seen[role] ?? 0);
    return floor;
  }

  /**
   * Runs fn while holding a per-component advisory lock (apart from the check lock, so a
   * refresh never waits for a slow check); undefined without running it when another replica holds it.
   */
  withRefreshLock<T>(component: string, fn: () => Promise<T>): Promise<T | undefined> {
    return withTryAdvisoryLock(this.ds, `lockstep-tuf-refresh:${component}`, fn);
  }

  /**
   * Records a warning and enqueues its release.metadata_expiring event in one transaction;
   * false (nothing sent) when this role version was warned about before.
   */
  async recordWarning(warning: ReleaseMetadataExpiringV1): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const inserted = await m.query<unknown[]>(
        `INSERT INTO release_metadata_warnings (component, role, version, expires_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1`,
        [warning.component, warning.role, warning.version, warning.expiresAt],
      );
      if (inserted.length === 0) return false;
      await enqueueEvent(m, Subjects.ReleaseMetadataExpiring, warning, { source: SOURCE, subject: warning.component });
      return true;
    });
  }

  private requireStore(): ObjectStore {
    if (!this.store) throw new Error('the checker has no object store; set the S3_* settings');
    return this.store;
  }
}
