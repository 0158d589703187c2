import { Injectable } from '@nestjs/common';
import { AnnouncedReleaseEntity } from '@lockstep/persistence';
import { DataSource } from 'typeorm';

/** Reads the releases the checker announced. */
@Injectable()
export class ReleasesRepository {
  constructor(private readonly ds: DataSource) {}

  /** Newest first, optionally of one component. */
  list(filter: { component?: string; limit: number }): Promise<AnnouncedReleaseEntity[]> {
    return this.ds.getRepository(AnnouncedReleaseEntity).find({
      where: filter.component ? { component: filter.component } : {},
      order: { announcedAt: 'DESC', version: 'DESC' },
      take: filter.limit,
    });
  }
}
