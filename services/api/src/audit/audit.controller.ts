import { Controller, Get, Query } from '@nestjs/common';
import { ListAuditQuery, type AuditRecordView, type AuditVerifyResult, type ListOf } from '@lockstep/contracts';
import { ZodPipe } from '../http/zod-validation.pipe';
import { AuditService } from './audit.service';

/** `/v1/audit`: the hash-chained audit trail (viewers may read it) and its integrity check. */
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** Records newest first. */
  @Get()
  async list(@Query(new ZodPipe(ListAuditQuery, 'query')) query: ListAuditQuery): Promise<ListOf<AuditRecordView>> {
    return { items: await this.audit.list(query) };
  }

  /** Walks the whole chain: 200 either way, `ok: false` naming the first altered or removed record. */
  @Get('verify')
  verify(): Promise<AuditVerifyResult> {
    return this.audit.verify();
  }
}
