import { Controller, Get, Query } from '@nestjs/common';
import { Queries, UpdatesQueryV1, type UpdatesReplyV1 } from '@lockstep/contracts';
import { QueryGateway } from '../http/query-gateway';
import { ZodPipe } from '../http/zod-validation.pipe';

/** `GET /v1/updates`: every release newer than what runs, and what its policy decided (the scheduler evaluates it). */
@Controller('v1/updates')
export class UpdatesController {
  constructor(private readonly queries: QueryGateway) {}

  @Get()
  list(@Query(new ZodPipe(UpdatesQueryV1, 'query')) query: UpdatesQueryV1): Promise<UpdatesReplyV1> {
    return this.queries.ask<UpdatesReplyV1>(Queries.Updates, query);
  }
}
