import { Controller, Get, Query } from '@nestjs/common';
import { ListReleasesQuery, type ListOf, type ReleaseView } from '@lockstep/contracts';
import { ZodPipe } from '../http/zod-validation.pipe';
import { ReleasesService } from './releases.service';

/** `/v1/releases`: what the checker announced. */
@Controller('v1/releases')
export class ReleasesController {
  constructor(private readonly releases: ReleasesService) {}

  @Get()
  async list(@Query(new ZodPipe(ListReleasesQuery, 'query')) query: ListReleasesQuery): Promise<ListOf<ReleaseView>> {
    return { items: await this.releases.list(query) };
  }
}
