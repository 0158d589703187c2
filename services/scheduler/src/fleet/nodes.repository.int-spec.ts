import { randomUUID } from 'node:crypto';
import { systemActor } from '@lockstep/contracts';
import type { NodeEntry } from '@lockstep/messaging';
import { AuditLogEntity, OutboxMessageEntity } from '@lockstep/persistence';
import type { DataSource } from 'typeorm';
import { demoNode, migratedDatabase } from '../testing/scheduler-fixtures';
import { NodesRepository } from './nodes.repository';

const NOW = new Date('2026-01-01T00:01:00Z');
const entry = (id: string, lost: boolean, seenAt = '2026-01-01T00:00:00.000Z'): NodeEntry => {
  const n = demoNode(id);
  return { record: { ...n.record, seenAt }, lost };
};

describe(`${NodesRepository.name} on Postgres`, () => {
  let db: Awaited<ReturnType<typeof migratedDatabase>>;
  let ds: DataSource;

  beforeAll(async () => {
    db = await migratedDatabase();
    ds = db.ds;
  });
  afterAll(() => db.drop());
  beforeEach(async () => {
    await ds.query(`DELETE FROM outbox`);
    await ds.query(`DELETE FROM lost_nodes`);
  });

  const announced = async () =>
    (await ds.getRepository(OutboxMessageEntity).find({ order: { id: 'ASC' } })).map((r) => [
      r.subject,
      (r.event.data as { nodeId: string }).nodeId,
    ]);

  it('announces a node going lost once, though two replicas see it at the same moment', async () => {
    const fleet = [entry('n1', false), entry('n2', true)];

    const [a, b] = await Promise.all([
      new NodesRepository(ds).observe(fleet, NOW),
      new NodesRepository(ds).observe(fleet, NOW),
    ]);
    const again = await new NodesRepository(ds).observe(fleet, NOW);

    expect([...a.lost, ...b.lost, ...again.lost]).toEqual(['n2']);
    expect(await announced()).toEqual([['evt.node.lost.v1', 'n2']]);
  });

  it('announces its recovery once, and a second loss again', async () => {
    const sut = new NodesRepository(ds);
    await sut.observe([entry('n2', true)], NOW);

    const back = await sut.observe([entry('n2', false, '2026-01-01T00:02:00.000Z')], NOW);
    await sut.observe([entry('n2', false, '2026-01-01T00:02:00.000Z')], NOW);
    const lostAgain = await sut.observe([entry('n2', true, '2026-01-01T00:02:00.000Z')], NOW);

    expect({ back, lostAgain }).toEqual({
      back: { lost: [], recovered: ['n2'] },
      lostAgain: { lost: ['n2'], recovered: [] },
    });
    expect(await announced()).toEqual([
      ['evt.node.lost.v1', 'n2'],
      ['evt.node.recovered.v1', 'n2'],
      ['evt.node.lost.v1', 'n2'],
    ]);
  });

  it("announces nothing from a replica whose look at the fleet predates another replica's announcement", async () => {
    const [a, b] = [new NodesRepository(ds), new NodesRepository(ds)];
    const silent = [entry('n5', true)]; // A lists n5 lost (last heartbeat at 00:00) …
    await b.observe(silent, NOW); // … B announces it lost …
    const back = [entry('n5', false, '2026-01-01T00:02:00.000Z')];
    await b.observe(back, NOW); // … then sees it heart-beat again and announces its recovery

    const staleLost = await a.observe(silent, NOW); // A acts on its older look
    const next = await b.observe(back, NOW);
    // and the other way round: A saw it alive (00:02), B then saw it silent since 00:02 (lost again)
    const dead = [entry('n5', true, '2026-01-01T00:02:00.000Z')];
    await b.observe(dead, NOW);
    const staleRecovered = await a.observe(back, NOW);
    const after = await b.observe(dead, NOW);

    expect({ staleLost, next, staleRecovered, after }).toEqual({
      staleLost: { lost: [], recovered: [] },
      next: { lost: [], recovered: [] },
      staleRecovered: { lost: [], recovered: [] },
      after: { lost: [], recovered: [] },
    });
    expect(await announced()).toEqual([
      ['evt.node.lost.v1', 'n5'],
      ['evt.node.recovered.v1', 'n5'],
      ['evt.node.lost.v1', 'n5'],
    ]);
  });

  it('forgets a lost node that left the bucket (removed), announcing nothing, so its return is no recovery', async () => {
    const sut = new NodesRepository(ds);
    await sut.observe([entry('n3', true), entry('n4', true)], NOW);

    const removed = await sut.observe([entry('n4', true)], NOW);
    const back = await sut.observe([entry('n3', false, '2026-01-01T00:05:00.000Z'), entry('n4', true)], NOW);

    expect({ removed, back }).toEqual({ removed: { lost: [], recovered: [] }, back: { lost: [], recovered: [] } });
    expect(await announced()).toEqual([
      ['evt.node.lost.v1', 'n3'],
      ['evt.node.lost.v1', 'n4'],
    ]);
  });

  it.each([
    ['planned', null, {}, 'succeeded', true],
    ['paused', null, {}, 'succeeded', true],
    [
      'failed, its auto-rollback still returning nodes',
      '2026-01-01T00:00:30Z',
      { autoRollback: true },
      'succeeded',
      true,
    ],
    ['failed without auto-rollback', '2026-01-01T00:00:30Z', { autoRollback: false }, 'succeeded', false],
    ['rolled_back, the node returned', '2026-01-01T00:00:30Z', { autoRollback: true }, 'reverted', false],
    // a late outcome showed it still on the abandoned release: the conductor sends it a revert again
    [
      'rolled_back, the node still on the abandoned release',
      '2026-01-01T00:00:30Z',
      { autoRollback: true },
      'succeeded',
      true,
    ],
  ])('tells whether a rollout %s still needs its node', async (state, finishedAt, strategy, nodeStatus, needed) => {
    const id = randomUUID();
    await ds.query(
      `INSERT INTO rollouts (id, component, target_version, kind, artifact, selector, strategy, state, finished_at)
       VALUES ($1, 'demo', '1.1.0', 'upgrade', '{}', 'all', $2, $3, $4)`,
      [id, strategy, state.split(',')[0], finishedAt],
    );
    await ds.query(
      `INSERT INTO rollout_nodes (rollout_id, node_id, batch, from_version, status) VALUES ($1, 'n7', 0, '1.0.0', $2)`,
      [id, nodeStatus],
    );

    const found = await new NodesRepository(ds).activeRolloutWith('n7');
    await ds.query(`DELETE FROM rollouts WHERE id = $1`, [id]);

    expect(found?.id).toBe(needed ? id : undefined);
  });

  it('records a removal only when the delete succeeded', async () => {
    const sut = new NodesRepository(ds);
    const audit = { actor: systemActor('spec'), action: 'node.removed', target: 'n3' };
    const before = await ds.getRepository(AuditLogEntity).count();

    const failed = sut.recordRemoval(audit, () => Promise.reject(new Error('NATS is down')));
    await expect(failed).rejects.toThrow('NATS is down');
    const afterFailure = await ds.getRepository(AuditLogEntity).count();
    await sut.recordRemoval(audit, () => Promise.resolve());

    expect({ afterFailure, after: await ds.getRepository(AuditLogEntity).count() }).toEqual({
      afterFailure: before,
      after: before + 1,
    });
  });
});
