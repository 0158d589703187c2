import type { AuditRecordInput } from '@lockstep/persistence';
import type { RefusedRequest } from '../http/request-actor';
import type { AuditRepository } from './audit.repository';
import { AuditService, REFUSAL_WINDOW_MS, REFUSED_TARGET_MAX } from './audit.service';

describe(AuditService.name, () => {
  let at: number;
  let appended: AuditRecordInput[];
  let sut: AuditService;
  const refusal = (over: Partial<RefusedRequest> = {}): RefusedRequest => ({
    actor: null,
    action: 'POST /v1/rollouts',
    target: '/v1/rollouts',
    source: '10.0.0.7',
    status: 401,
    reason: 'TOKEN_MISSING',
    ...over,
  });

  beforeEach(() => {
    at = 1_000_000;
    appended = [];
    const repo = { now: () => at, append: async (r: AuditRecordInput) => void appended.push(r) };
    sut = new AuditService(repo as unknown as AuditRepository);
  });

  it('records one refusal per source, route and reason a minute; the next record says how many it left out', async () => {
    for (let i = 0; i < 50; i++) await sut.recordRefused(refusal());
    await sut.recordRefused(refusal({ source: '10.0.0.8' }));
    await sut.recordRefused(refusal({ reason: 'TOKEN_INVALID' }));
    at += REFUSAL_WINDOW_MS;
    await sut.recordRefused(refusal());

    expect(appended.map((r) => [r.actor.source, r.params?.reason, r.params?.suppressed])).toEqual([
      ['10.0.0.7', 'TOKEN_MISSING', undefined],
      ['10.0.0.8', 'TOKEN_MISSING', undefined],
      ['10.0.0.7', 'TOKEN_INVALID', undefined],
      ['10.0.0.7', 'TOKEN_MISSING', 49],
    ]);
    expect(appended.every((r) => r.outcome === 'refused' && r.action === 'request.refused')).toBe(true);
  });

  it('cuts a long refused path, which the caller chooses', async () => {
    await sut.recordRefused(refusal({ target: `/v1/rollouts/${'x'.repeat(8000)}` }));

    expect(appended[0].target.length).toBe(REFUSED_TARGET_MAX + 1);
  });

  it('never throws when the trail cannot be written', async () => {
    sut = new AuditService({
      now: () => at,
      append: () => Promise.reject(new Error('db down')),
    } as unknown as AuditRepository);

    await expect(sut.recordRefused(refusal())).resolves.toBeUndefined();
  });
});
