export * from './audit-log';
export { auditRecordHash, canonicalJson, AUDIT_GENESIS_HASH } from './audit-hash';
export { scrubAuditParams } from './audit-params';
export { auditDeadLetters } from './audit-dead-letters';
