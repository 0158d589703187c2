import { withTryAdvisoryLock } from '../advisory-lock';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Subjects, type CheckFailedV1, type ReleaseAvailableV1 } from '@lockstep/contracts';
import {
  AnnouncedReleaseEntity,
  appendAudit,
  ComponentEntity,
  SourceStateEntity,
  enqueueEvent,
  type AuditRecordInput,
} from '@lockstep/persistence';
import { DataSource } from 'typeorm';
import type { RequirementsSnapshot } from '../components/registration-requirements';

const SOURCE = '/lockstep/checker';

/** Storage of components, source state and announcements; announcements go out through the outbox. */
@Injectable()
export class CheckRepository {
  constructor(private readonly ds: DataSource) {}

  listComponents(): Promise<ComponentEntity[]> {
    return this.ds.getRepository(ComponentEntity).find({ order: { name: 'ASC' } });
  }

  findComponent(name: string): Promise<ComponentEntity | null> {
    return this.ds.getRepository(ComponentEntity).findOneBy({ name });
  }

  /**
   * Stores a component and its audit record (target: its name) in one transaction, unless
   * `refuse` finds a reason not to in what every component and announced release requires.
   * Registrations are serialised (a transaction-scoped advisory lock), so two at once cannot
   * build a cycle neither sees. Returns the refusal, with nothing changed, or the stored row.
   */
  saveComponentUnlessRefused<R>(
    c: Partial<ComponentEntity> & { name: string },
    audit: Omit<AuditRecordInput, 'target'>,
    refuse: (snapshot: RequirementsSnapshot) => R | null,
  ): Promise<{ refused: R } | { saved: ComponentEntity }> {
    return this.ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('lockstep.component-requirements'))`);
      const components = await m
        .getRepository(ComponentEntity)
        .find({ select: { name: true, scheme: true, requires: true } });
      const releases = await m
        .getRepository(AnnouncedReleaseEntity)
        .find({ select: { component: true, version: true, requires: true } });
      const refused = refuse({ components, releases });
      if (refused !== null) return { refused };
      await m.getRepository(ComponentEntity).save(c);
      await appendAudit(m, { ...audit, target: c.name });
      // Read back: a registration without `requires` keeps the stored ones, which the reply shows.
      return { saved: await m.getRepository(ComponentEntity).findOneByOrFail({ name: c.name }) };
    });
  }

  /** Appends one audit record in a transaction of its own. */
  async audit(record: AuditRecordInput): Promise<void> {
    await this.ds.transaction((m) => appendAudit(m, record));
  }

  async loadState(component: string): Promise<SourceStateEntity> {
    return (
      (await this.ds.getRepository(SourceStateEntity).findOneBy({ component })) ??
      Object.assign(new SourceStateEntity(), {
        component,
        state: {},
        lastErrorCode: null,
        lastError: null,
        lastCheckedAt: null,
      })
    );
  }

  /**
   * Runs fn while holding a per-component advisory lock, so replicas never check the same
   * component at once; returns undefined without running it when another holds the lock.
   */
  withComponentLock<T>(component: string, fn: () => Promise<T>): Promise<T | undefined> {
    return withTryAdvisoryLock(this.ds, `lockstep-check:${component}`, fn);
  }

  /**
   * Records a good check: new plugin state plus one announcement per release not announced
   * before, each with its release.available event, in one transaction. Returns the versions
   * this call announced (a version another replica announced first is skipped).
   */
  async recordSuccess(
    component: string,
    state: Record<string, unknown>,
    releases: ReleaseAvailableV1[],
  ): Promise<string[]> {
    return this.ds.transaction(async (m) => {
      await m
        .getRepository(SourceStateEntity)
        .upsert({ component, state: state as never, lastCheckedAt: new Date(), lastErrorCode: null, lastError: null }, [
          'component',
        ]);
      const announced: string[] = [];
      for (const r of releases) {
        const id = randomUUID();
        const inserted = await m
          .createQueryBuilder()
          .insert()
          .into(AnnouncedReleaseEntity)
          .values({
            id,
            component,
            version: r.version,
            kind: r.kind,
            channel: r.channel,
            security: r.security,
            breaking: r.breaking,
            hotfix: r.hotfix,
            artifactUri: r.artifact.uri,
            sha256: r.artifact.sha256,
            length: String(r.artifact.length),
            notes: r.notes,
            requires: r.requires,
          })
          .orIgnore()
          .returning('id')
          .execute();
        // With ON CONFLICT DO NOTHING, only a row that was really inserted comes back.
        if (!(inserted.raw as unknown[]).length) continue;
        await enqueueEvent(m, Subjects.ReleaseAvailable, r, { source: SOURCE, subject: component, id });
        announced.push(r.version);
      }
      return announced;
    });
  }

  /** Versions of a component already announced. */
  async announcedVersions(component: string): Promise<Set<string>> {
    const rows = await this.ds
      .getRepository(AnnouncedReleaseEntity)
      .find({ where: { component }, select: { version: true } });
    return new Set(rows.map((r) => r.version));
  }

  /** Records a failed check and (when `emit`) its check.failed event, together. */
  async recordFailure(component: string, failure: CheckFailedV1, emit: boolean): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m
        .getRepository(SourceStateEntity)
        .upsert({ component, lastCheckedAt: new Date(), lastErrorCode: failure.code, lastError: failure.reason }, [
          'component',
        ]);
      if (emit) await enqueueEvent(m, Subjects.CheckFailed, failure, { source: SOURCE, subject: component });
    });
  }
}
