import { systemActor, type AuditActor } from '@lockstep/contracts';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '../data-source';
import { UpdateDecisionsStore } from './update-decisions.store';

const alice: AuditActor = {
  kind: 'token',
  id: 'tok_a',
  name: 'alice',
  role: 'operator',
  components: null,
  source: null,
};
const AT = new Date('2026-03-01T10:00:00Z');

describe(`${UpdateDecisionsStore.name} (real Postgres)`, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let sut: UpdateDecisionsStore;

  const audit = () =>
    ds.query<Array<{ action: string; target: string }>>(`SELECT "action", "target" FROM "audit_log" ORDER BY "id"`);
  const outbox = () =>
    ds.query<Array<{ subject: string; body: { data: Record<string, unknown> } }>>(
      `SELECT "subject", "event" AS "body" FROM "outbox" ORDER BY "id"`,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    sut = new UpdateDecisionsStore(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });
  beforeEach(async () => {
    await ds.query(`TRUNCATE "update_approvals", "update_holds", "outbox"`);
  });

  it('asks for an approval once: a second request, or one for a decided release, changes nothing', async () => {
    const first = await ds.transaction((m) => sut.requestApproval(m, 'demo', '2.0.0', AT));
    const again = await ds.transaction((m) => sut.requestApproval(m, 'demo', '2.0.0', AT));
    await ds.transaction((m) =>
      sut.decide(m, { component: 'demo', version: '3.0.0', state: 'rejected', reason: 'bad', actor: alice, at: AT }),
    );
    const decided = await ds.transaction((m) => sut.requestApproval(m, 'demo', '3.0.0', AT));

    expect([first, again, decided]).toEqual([true, false, false]);
    expect(await sut.approvalsOf('demo')).toEqual(
      new Map([
        ['2.0.0', 'pending'],
        ['3.0.0', 'rejected'],
      ]),
    );
    expect(await sut.approvalsOf('other')).toEqual(new Map());
  });

  it('records a decision over a pending request, keeps when it was asked, and answers what it replaced', async () => {
    await ds.transaction((m) => sut.requestApproval(m, 'demo', '2.0.0', AT));
    const later = new Date(AT.getTime() + 60_000);

    const approved = await ds.transaction((m) =>
      sut.decide(m, { component: 'demo', version: '2.0.0', state: 'approved', reason: '', actor: alice, at: later }),
    );
    const rejected = await ds.transaction((m) =>
      sut.decide(m, { component: 'demo', version: '2.0.0', state: 'rejected', reason: 'CVE', actor: alice, at: later }),
    );

    expect(approved.previous).toMatchObject({ state: 'pending' });
    expect(approved.approval).toEqual({
      component: 'demo',
      version: '2.0.0',
      state: 'approved',
      requestedAt: AT,
      decidedAt: later,
      decidedBy: 'alice',
      reason: '',
    });
    expect(rejected.previous).toMatchObject({ state: 'approved', decidedBy: 'alice' });
    expect(rejected.approval).toMatchObject({ state: 'rejected', reason: 'CVE', requestedAt: AT });
    expect((await audit()).slice(-2)).toEqual([
      { action: 'update.approve', target: 'demo@2.0.0' },
      { action: 'update.reject', target: 'demo@2.0.0' },
    ]);
  });

  it('lists pending approvals first, then decisions newest first', async () => {
    await ds.transaction(async (m) => {
      await sut.decide(m, { component: 'a', version: '1', state: 'approved', reason: '', actor: alice, at: AT });
      await sut.requestApproval(m, 'b', '2', AT);
      await sut.decide(m, {
        component: 'c',
        version: '3',
        state: 'rejected',
        reason: 'no',
        actor: alice,
        at: new Date(AT.getTime() + 1000),
      });
    });

    const list = await sut.approvals();

    expect(list.map((a) => `${a.component}@${a.version}:${a.state}`)).toEqual([
      'b@2:pending',
      'c@3:rejected',
      'a@1:approved',
    ]);
  });

  it('keeps one live hold per component and version, every version being its own, announced and audited', async () => {
    const hold = (version: string | null) =>
      ds.transaction((m) =>
        sut.hold(m, { component: 'demo', version, reason: 'freeze', automatic: false, actor: alice, at: AT }),
      );

    const all = await hold(null);
    const one = await hold('2.0.0');
    const allAgain = await hold(null);
    const oneAgain = await hold('2.0.0');

    expect(all).toMatchObject({ component: 'demo', version: null, createdBy: 'alice', releasedAt: null });
    expect(one).toMatchObject({ version: '2.0.0' });
    expect([allAgain, oneAgain]).toEqual([null, null]);
    expect((await sut.activeHolds('demo')).map((h) => h.version)).toEqual([undefined, '2.0.0']);
    expect(await outbox()).toEqual([
      {
        subject: 'evt.update.held.v1',
        body: expect.objectContaining({
          source: '/lockstep/api',
          data: {
            component: 'demo',
            version: null,
            reason: 'freeze',
            automatic: false,
            by: 'alice',
            releaseWith: 'lockstep release-hold demo',
          },
        }),
      },
      expect.objectContaining({
        body: expect.objectContaining({
          data: expect.objectContaining({ releaseWith: 'lockstep release-hold demo --version 2.0.0' }),
        }),
      }),
    ]);
    expect((await audit()).filter((a) => a.action === 'hold.create').map((a) => a.target)).toEqual(
      expect.arrayContaining([all!.id, one!.id]),
    );
  });

  it('releases a live hold (then it may be held again), and finds none to release twice', async () => {
    await ds.transaction((m) =>
      sut.hold(m, { component: 'demo', version: null, reason: 'freeze', automatic: false, actor: alice, at: AT }),
    );

    const released = await ds.transaction((m) =>
      sut.releaseHold(m, { component: 'demo', version: null, actor: alice, at: AT }),
    );
    const twice = await ds.transaction((m) =>
      sut.releaseHold(m, { component: 'demo', version: null, actor: alice, at: AT }),
    );
    const heldAgain = await ds.transaction((m) =>
      sut.hold(m, { component: 'demo', version: null, reason: 'again', automatic: false, actor: alice, at: AT }),
    );

    expect(released).toMatchObject({ reason: 'freeze', releasedAt: AT, releasedBy: 'alice' });
    expect(twice).toBeNull();
    expect(heldAgain).toMatchObject({ reason: 'again' });
    expect((await sut.activeHolds()).map((h) => h.reason)).toEqual(['again']);
  });

  it("holds a release automatically as the scheduler's, once", async () => {
    const first = await ds.transaction((m) => sut.holdAutomatically(m, 'demo', '2.0.0', 'rollout r-1 rolled back', AT));
    const again = await ds.transaction((m) => sut.holdAutomatically(m, 'demo', '2.0.0', 'rollout r-2 rolled back', AT));

    expect([first, again]).toEqual([true, false]);
    expect(await sut.activeHolds('demo')).toEqual([
      expect.objectContaining({
        version: '2.0.0',
        reason: 'rollout r-1 rolled back',
        automatic: true,
        createdBy: systemActor('scheduler').name,
      }),
    ]);
    expect((await outbox())[0].body).toMatchObject({ source: '/lockstep/scheduler', data: { automatic: true } });
  });
});
