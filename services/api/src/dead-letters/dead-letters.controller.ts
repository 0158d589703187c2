import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  DiscardDeadLetterBody,
  ListDeadLettersQuery,
  RedriveDeadLettersBody,
  ReplayDeadLettersBody,
  type AuditActor,
  type DeadLetterRedriveReplyV1,
  type DeadLetterReplayReplyV1,
  type DeadLetterDiscardReplyV1,
  type DeadLetterList,
} from '@lockstep/contracts';
import { DeliveriesService } from '../deliveries/deliveries.service';
import { Actor } from '../http/request-actor';
import { ZodPipe } from '../http/zod-validation.pipe';
import { DeadLettersService } from './dead-letters.service';

/** `/v1/dead-letters`: every kind of dead letter (deliveries, stream messages, outbox rows), their replay, re-drive and discard. */
@Controller('v1/dead-letters')
export class DeadLettersController {
  constructor(
    private readonly deadLetters: DeadLettersService,
    private readonly deliveries: DeliveriesService,
  ) {}

  @Get()
  async list(@Query(new ZodPipe(ListDeadLettersQuery, 'query')) query: ListDeadLettersQuery): Promise<DeadLetterList> {
    return this.deadLetters.list(query);
  }

  /** Dead deliveries back into the notifier's queue. */
  @Post('replay')
  @HttpCode(200)
  replay(
    @Body(new ZodPipe(ReplayDeadLettersBody)) body: ReplayDeadLettersBody,
    @Actor() actor: AuditActor,
  ): Promise<DeadLetterReplayReplyV1> {
    return this.deliveries.replay(body, actor);
  }

  /** Stream messages to their original subject, outbox dead letters back into the outbox. */
  @Post('redrive')
  @HttpCode(200)
  redrive(
    @Body(new ZodPipe(RedriveDeadLettersBody)) body: RedriveDeadLettersBody,
    @Actor() actor: AuditActor,
  ): Promise<DeadLetterRedriveReplyV1> {
    return this.deadLetters.redrive(body, actor);
  }

  /** One stream message or outbox dead letter dropped for good, after an operator read it. */
  @Post('discard')
  @HttpCode(200)
  discard(
    @Body(new ZodPipe(DiscardDeadLetterBody)) body: DiscardDeadLetterBody,
    @Actor() actor: AuditActor,
  ): Promise<DeadLetterDiscardReplyV1> {
    return this.deadLetters.discard(body, actor);
  }
}
