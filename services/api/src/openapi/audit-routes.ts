import { AuditRecordView, AuditVerifyResult, ListAuditQuery, listOf } from '@lockstep/contracts';
import type { RouteDoc } from './openapi.document';

/** The audit trail: records newest first, and the check of the whole hash chain. */
export const AUDIT_ROUTES: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/audit',
    operationId: 'listAudit',
    summary: 'Audit records newest first (who did what to what, when, from where, with what outcome), filtered',
    query: ListAuditQuery,
    status: 200,
    response: listOf(AuditRecordView),
  },
  {
    method: 'get',
    path: '/v1/audit/verify',
    operationId: 'verifyAudit',
    summary: 'Check the whole hash chain; ok: false names the first record that was altered or removed',
    status: 200,
    response: AuditVerifyResult,
  },
];
