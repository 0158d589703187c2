import { slotAt, uuidFrom } from './backup-schedule';

describe('slotAt', () => {
  const daily = { intervalMs: 86_400_000, namespace: 'prod', type: 'full' as const, prune: true };

  it('names the slot after its start and gives every replica the same operation ids', () => {
    const a = slotAt(new Date('2026-11-22T03:00:00Z'), daily);
    const b = slotAt(new Date('2026-11-22T23:59:59Z'), daily);

    expect(a.create).toMatchObject({
      kind: 'create',
      backupId: 'backup_20261122_000000',
      trigger: 'schedule',
      type: 'full',
    });
    expect(b).toEqual(a);
    expect(a.prune?.operationId).not.toBe(a.create.operationId);
    expect(a.create.operationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('moves to a new slot, with new ids, at the next interval; namespaces do not collide', () => {
    const today = slotAt(new Date('2026-11-22T03:00:00Z'), daily);
    const tomorrow = slotAt(new Date('2026-11-23T00:00:00Z'), daily);
    const staging = slotAt(new Date('2026-11-22T03:00:00Z'), { ...daily, namespace: 'staging' });

    expect(tomorrow.create.backupId).toBe('backup_20261123_000000');
    expect(tomorrow.create.operationId).not.toBe(today.create.operationId);
    expect(staging.create.operationId).not.toBe(today.create.operationId);
  });

  it('plans no prune without retention', () => {
    expect(slotAt(new Date(), { ...daily, prune: false }).prune).toBeUndefined();
  });

  it('derives stable UUIDs from text', () => {
    expect(uuidFrom('x')).toBe(uuidFrom('x'));
    expect(uuidFrom('x')).not.toBe(uuidFrom('y'));
  });
});
