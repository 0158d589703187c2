import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createEvent, eventWireSubject, Subjects, type DeadLetterView, type RedrivenV1 } from '@lockstep/contracts';
import { jsonOf, runCli, startService, waitFor, type ServiceProcess } from '@lockstep/testing';
import { createTestDeployment, type TestDeployment } from '../support/control-plane';

/**
 * `lockstep dead-letters` end to end: api and scheduler as processes, each as its own
 * least-privilege NATS user (closing the deployment fails on any permission violation), the
 * CLI as a process. A message the scheduler's consumer gave up on is listed with its reason and
 * the service, re-driven to that consumer once, then discarded for good; an outbox dead letter goes
 * out after its re-drive.
 */
describe('lockstep dead-letters (processes, real NATS with generated users, Postgres)', () => {
  let dep: TestDeployment;
  const procs: ServiceProcess[] = [];

  beforeEach(async () => {
    dep = await createTestDeployment();
    await dep.pg.connect();
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill('SIGTERM')));
    await dep.close();
  });

  it('lists a dead-lettered message with reason and service, re-drives it to that consumer once, and an outbox dead letter out', async () => {
    const [api, scheduler] = await Promise.all(
      ['api', 'scheduler'].map((name) => startService(name, dep.envFor(name))),
    );
    procs.push(api, scheduler);
    const cli = (...args: string[]) => runCli(args, { LOCKSTEP_API_URL: api.url, LOCKSTEP_TOKEN: api.token! });
    const messages = async () => jsonOf<DeadLetterView[]>(await cli('dead-letters', '--kind', 'message', '--json'));
    const messagesOnce = async (ok: (items: DeadLetterView[]) => boolean) =>
      (await waitFor(async () => {
        const items = await messages();
        return ok(items) ? items : undefined;
      }))!;
    // what no agent would send: the scheduler's install-outcome consumer dead-letters it as invalid
    const wire = `${dep.namespace}.${eventWireSubject(Subjects.InstallFinished, 'node-1')}`;
    await jetstream(dep.nc).publish(wire, JSON.stringify({ id: 'not-an-outcome' }), { msgID: 'not-an-outcome' });

    const [first] = await messagesOnce((items) => items.length > 0);
    const redrive = await cli('dead-letters', 'replay', '--message', first.id, '--json');
    // the consumer takes it again, once, and gives up again: one dead letter, under a new sequence
    const [again] = await messagesOnce((items) => items.length > 0 && items[0].id !== first.id);
    const event = createEvent(
      Subjects.RolloutChanged,
      {
        rolloutId: 'r-dl',
        component: 'demo',
        targetVersion: '1.0.0',
        state: 'running',
        previousState: null,
        nodes: { total: 0, succeeded: 0, failed: 0, rolledBack: 0 },
      },
      { source: '/lockstep/scheduler', subject: 'r-dl' },
    );
    await dep.pg.query(
      `INSERT INTO outbox_dead_letters (id, subject, event_id, aggregate, event, created_at, reason)
       VALUES (77, $1, $2, 'r-dl', $3, now(), 'the relay may not publish it')`,
      [Subjects.RolloutChanged, event.id, JSON.stringify(event)],
    );
    const outboxBefore = jsonOf<DeadLetterView[]>(await cli('dead-letters', '--kind', 'outbox', '--json'));
    const outboxRedrive = await cli('dead-letters', 'replay', '--outbox', '77', '--json');
    const jsm = await jetstreamManager(dep.nc);
    const published = await waitFor(async () => {
      const m = await jsm.streams.getMessage(`${dep.namespace.toUpperCase()}_EVENTS`, {
        last_by_subj: `${dep.namespace}.${Subjects.RolloutChanged}`,
      });
      return m?.json<{ id: string }>().id === event.id ? m : undefined;
    });
    const audit = await dep.pg.query(`SELECT target FROM audit_log WHERE action = 'dead-letter.redrive' ORDER BY id`);
    const afterRedrive = await messages();
    // it will never be an outcome: the operator drops it for good
    const discard = await cli('dead-letters', 'discard', '--message', again.id, '--json');
    const discards = await dep.pg.query(`SELECT target FROM audit_log WHERE action = 'dead-letter.discard'`);

    expect(first).toMatchObject({
      kind: 'message',
      subject: eventWireSubject(Subjects.InstallFinished, 'node-1'),
      eventId: 'not-an-outcome',
      service: 'scheduler',
      reason: expect.stringMatching(/^invalid message/),
    });
    expect(jsonOf<{ redriven: RedrivenV1[] }>(redrive).redriven).toEqual([
      { kind: 'message', id: first.id, subject: first.subject, service: 'scheduler' },
    ]);
    expect(afterRedrive).toEqual([again]);
    expect(again).toMatchObject({ eventId: 'not-an-outcome', service: 'scheduler' });
    expect(outboxBefore).toEqual([expect.objectContaining({ kind: 'outbox', id: '77', eventId: event.id })]);
    expect(jsonOf<{ redriven: RedrivenV1[] }>(outboxRedrive).redriven).toEqual([
      { kind: 'outbox', id: '77', subject: Subjects.RolloutChanged, service: null },
    ]);
    expect(published).toBeTruthy();
    expect(jsonOf<DeadLetterView[]>(await cli('dead-letters', '--kind', 'outbox', '--json'))).toEqual([]);
    expect(audit.rows.map((r: { target: string }) => r.target)).toEqual([`message#${first.id}`, 'outbox#77']);
    expect(jsonOf<{ discarded: unknown }>(discard).discarded).toEqual({
      kind: 'message',
      id: again.id,
      subject: first.subject,
    });
    expect(await messages()).toEqual([]);
    expect(discards.rows).toEqual([{ target: `message#${again.id}` }]);
  });
});
