import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  NodeSubjects,
  Queries,
  Subjects,
  systemActor,
  type InstallCommandV1,
  type QueryReply,
} from '@lockstep/contracts';
import { FleetLock } from '@lockstep/fleet-lock';
import { waitFor } from '@lockstep/testing';
import { jetstream } from '@nats-io/jetstream';
import { collectEvents } from '../support/control-plane';
import { TestFleet } from '../support/fleet';

describe('pre-update backups in rollouts (scheduler + backup service + three agents, real NATS/Postgres/S3)', () => {
  let fleet: TestFleet;
  const dataDir = (id: string) => join(fleet.work, `${id}-data`);

  beforeAll(async () => {
    fleet = await TestFleet.start();
    await fleet.publish('1.1.0');
    await fleet.publish('1.2.0');
    const key = { BACKUP_BUCKET: `${fleet.bucket}-backups`, BACKUP_KEY: 'rollout backup passphrase' };
    await fleet.startService('backup', key);
    for (const id of ['node-1', 'node-2', 'node-3']) mkdirSync(join(fleet.work, `${id}-data`), { recursive: true });
    // Each node backs up its shared/ directory and a data directory of its own, into one
    // encrypted repository that the three nodes open for the first time at the same moment.
    await fleet.addNodes(3, (id) => ({
      ...key,
      BACKUP_DATA_PATHS: `${join(fleet.work, id, 'shared')},${join(fleet.work, `${id}-data`)}`,
    }));
    for (const n of fleet.nodes) writeFileSync(join(dataDir(n.id), 'orders.db'), `orders of ${n.id} at 1.0.0\n`);
    const first = await fleet.rollout({ version: '1.0.0', maxParallel: 3 });
    expect(await fleet.waitForState(first, ['succeeded', 'failed', 'rolled_back'])).toMatchObject({
      state: 'succeeded',
    });
  });
  afterAll(() => fleet.stop());

  it('every install takes a pre-update backup first; rollback --restore-data brings each node its data back with its version', async () => {
    const id = await fleet.rollout({ version: '1.1.0', maxParallel: 3 });
    expect(await fleet.waitForState(id, ['succeeded', 'failed', 'rolled_back'])).toMatchObject({ state: 'succeeded' });
    for (const n of fleet.nodes)
      writeFileSync(join(dataDir(n.id), 'orders.db'), `orders of ${n.id} rewritten by 1.1.0\n`);
    const rows = (
      await fleet.dep.pg.query(`SELECT node_id, backup_id FROM rollout_nodes WHERE rollout_id = $1 ORDER BY node_id`, [
        id,
      ])
    ).rows as Array<{ node_id: string; backup_id: string | null }>;
    const catalogue = await waitFor(
      async () => {
        const r = (
          await fleet.dep.pg.query(
            `SELECT id, node_id, trigger, status, component_version FROM backups WHERE rollout_id = $1 ORDER BY node_id`,
            [id],
          )
        ).rows;
        return r.length === 3 && r.every((b: { status: string }) => b.status === 'completed') ? r : undefined;
      },
      { what: 'three completed pre-update backups in the catalogue' },
    );

    const reply = await fleet.dep.queries.send<QueryReply<{ rolloutId: string }>>(
      Queries.RollbackCreate,
      { rolloutId: id, restoreData: true, maxParallel: 3, actor: systemActor('e2e-rollout-backup') },
      130_000,
    );
    if (!reply.ok) throw new Error(reply.error.message);
    const back = await fleet.waitForState(reply.result.rolloutId, ['succeeded', 'failed', 'rolled_back']);
    const versions = await Promise.all(fleet.nodes.map((n) => n.version()));

    expect(rows.map((r) => r.backup_id)).toEqual(
      rows.map((r) => expect.stringMatching(new RegExp(`^preupdate_${r.node_id}_1\\.1\\.0_`))),
    );
    expect(catalogue).toEqual(
      rows.map((r) =>
        expect.objectContaining({
          id: r.backup_id,
          node_id: r.node_id,
          trigger: 'pre-update',
          component_version: '1.0.0',
        }),
      ),
    );
    expect(back.state).toBe('succeeded');
    expect(versions).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    for (const n of fleet.nodes)
      expect(readFileSync(join(dataDir(n.id), 'orders.db'), 'utf8')).toBe(`orders of ${n.id} at 1.0.0\n`);
  });

  it('a rollout whose pre-update backup fails stops on that node, which keeps running its version', async () => {
    rmSync(dataDir('node-1'), { recursive: true, force: true }); // the canary's backup target is gone

    const id = await fleet.rollout({ version: '1.2.0', maxParallel: 1, canary: 1 });
    const final = await fleet.waitForState(id, ['succeeded', 'failed', 'rolled_back']);
    const rows = await fleet.nodeRows(id);
    const versions = await Promise.all(fleet.nodes.map((n) => n.version()));

    expect(final.state).toMatch(/failed|rolled_back/);
    expect(rows.find((r) => r.node_id === 'node-1')).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^backing_up: .*pre-update backup failed/),
    });
    expect(rows.filter((r) => r.node_id !== 'node-1').map((r) => r.status)).toEqual(['pending', 'pending']);
    expect(versions).toEqual(['1.0.0', '1.0.0', '1.0.0']);
  });

  // The command comes from a live holder of the cluster lock (the test takes it, as a scheduler
  // would), so that the agent's own backup ownership check is what refuses it.
  it("an agent told to restore another node's backup refuses with BACKUP_FOREIGN and changes nothing", async () => {
    const node1Backup = (
      await fleet.dep.pg.query(
        `SELECT id FROM backups WHERE node_id = 'node-1' AND status = 'completed' ORDER BY created_at DESC LIMIT 1`,
      )
    ).rows[0] as { id: string };
    const ordersBefore = readFileSync(join(dataDir('node-2'), 'orders.db'));
    const versionBefore = await fleet.nodes[1].version();
    const events = await collectEvents(fleet.dep);
    const lock = await FleetLock.open(fleet.dep.nc, fleet.dep.namespace, { holder: 'e2e-operator' });
    const lease = await waitFor(() => lock.tryAcquire(randomUUID()), { what: 'the cluster lock' });
    const command: InstallCommandV1 = {
      commandId: randomUUID(),
      rolloutId: lease!.rolloutId,
      nodeId: 'node-2',
      component: 'demo',
      version: '1.1.0',
      action: 'rollback',
      artifact: (await fleet.dep.pg.query(`SELECT artifact FROM rollouts WHERE target_version = '1.1.0' LIMIT 1`))
        .rows[0].artifact,
      fencingToken: lease!.token,
      lockKey: 'cluster',
      health: { minHealthyMs: 100, deadlineMs: 5000 },
      issuedAt: new Date().toISOString(),
      restoreBackupId: node1Backup.id,
    };

    await jetstream(fleet.dep.nc).publish(
      `${fleet.dep.namespace}.${NodeSubjects.install('node-2')}`,
      JSON.stringify(command),
      { msgID: command.commandId },
    );
    const outcome = await waitFor(
      () =>
        events.events.find(
          (e) => e.subject.includes(Subjects.InstallFinished) && e.data.commandId === command.commandId,
        )?.data,
      { what: 'the outcome of the foreign restore' },
    );
    await events.stop();
    await lease!.release();

    expect(outcome).toMatchObject({
      result: 'failed',
      failedStep: 'preflight',
      error: expect.stringMatching(
        new RegExp(`BACKUP_FOREIGN: refusing to restore backup ${node1Backup.id}: it was taken on node node-1`),
      ),
    });
    expect(readFileSync(join(dataDir('node-2'), 'orders.db'))).toEqual(ordersBefore);
    expect(await fleet.nodes[1].version()).toBe(versionBefore);
  });

  it('ran every service and agent as its own least-privilege NATS user: the server refused nothing they did', () => {
    expect(fleet.natsViolations()).toEqual([]);
  });
});
