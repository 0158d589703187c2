import { Controller, Get, Query } from '@nestjs/common';
import { ZodPipe } from '../http/zod-validation.pipe';
import { ListReleasesQuery, type ReleaseView } from './releases.schemas';
import { ReleasesService } from './releases.service';

/** `/v1/releases`: what the checker announced. */
@Controller('v1/releases')
export class ReleasesController {
  constructor(private readonly releases: ReleasesService) {}

  @Get()
  async list(
    @Query(new ZodPipe(ListReleasesQuery, 'query')) query: ListReleasesQuery,
  ): Promise<{ items: ReleaseView[] }> {
    return { items: await this.releases.list(query) };
  }
}
