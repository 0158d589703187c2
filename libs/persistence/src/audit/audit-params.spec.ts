import { auditRecordHash, canonicalJson } from './audit-hash';
import { scrubAuditParams } from './audit-params';

describe(scrubAuditParams.name, () => {
  it.each([
    ['a signing secret', { secret: 'whsec_abc' }, { secret: '[REDACTED]' }],
    ['secrets at depth', { a: { b: { secrets: ['whsec_x'] } } }, { a: { b: { secrets: '[REDACTED]' } } }],
    ['an API token', { token: 'lst_abcdef' }, { token: '[REDACTED]' }],
    ['a fencing token', { token: 42 }, { token: 42 }],
    ['a password in any case', { Password: 'p' }, { Password: '[REDACTED]' }],
    ['a Slack URL', { url: 'https://hooks.slack.com/services/T/B/X' }, { url: 'https://hooks.slack.com/[REDACTED]' }],
    ['a URL that is no URL', { url: 'not a url' }, { url: '[REDACTED]' }],
    [
      'a Discord URL inside text',
      { note: 'sent to https://discord.com/api/webhooks/1/tok' },
      { note: 'sent to https://discord.com/api/webhooks/1/[REDACTED]' },
    ],
    ['a libpq URL password', { db: 'postgres://u:pw@h/d' }, { db: 'postgres://u:[REDACTED]@h/d' }],
    ['undefined values', { a: undefined, b: null }, { b: null }],
  ])('removes %s', (_, input, expected) => {
    expect(scrubAuditParams(input)).toEqual(expected);
  });
});

describe(canonicalJson.name, () => {
  it('is the same whatever the key order, so a record hashes the same after jsonb reorders it', () => {
    const record = {
      id: '7',
      at: new Date('2026-01-01T00:00:00.123Z'),
      actorKind: 'token',
      actorId: 'tok_1',
      actorName: 'alice',
      role: 'owner',
      action: 'rollout.create',
      target: 'r-1',
      params: { b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } },
      source: null,
      outcome: 'ok',
      prevHash: '0'.repeat(64),
    };

    const reordered = { ...record, params: { a: { c: null, d: [2, { e: 0, f: 1 }] }, b: 1 } };

    expect(canonicalJson(record.params)).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
    expect(auditRecordHash(reordered)).toBe(auditRecordHash(record));
    expect(auditRecordHash({ ...record, target: 'r-2' })).not.toBe(auditRecordHash(record));
  });
});
