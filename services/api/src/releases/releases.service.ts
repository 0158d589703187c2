import { Injectable } from '@nestjs/common';
import type { ListReleasesQuery, ReleaseView } from '@lockstep/contracts';
import type { AnnouncedReleaseEntity } from '@lockstep/persistence';
import { ReleasesRepository } from './releases.repository';

/** Announced releases, newest first. */
@Injectable()
export class ReleasesService {
  constructor(private readonly repo: ReleasesRepository) {}

  async list(query: ListReleasesQuery): Promise<ReleaseView[]> {
    return (await this.repo.list(query)).map(toReleaseView);
  }
}

export const toReleaseView = (r: AnnouncedReleaseEntity): ReleaseView => ({
  id: r.id,
  component: r.component,
  version: r.version,
  kind: r.kind,
  channel: r.channel,
  security: r.security,
  breaking: r.breaking,
  hotfix: r.hotfix,
  artifact: { uri: r.artifactUri, sha256: r.sha256, length: Number(r.length) },
  notes: r.notes,
  announcedAt: new Date(r.announcedAt).toISOString(),
});
