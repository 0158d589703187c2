/**
 * The scheduler's re-drive under the generated NATS users (least privilege): as the scheduler
 * it lists DEAD_LETTERS, publishes a dead letter again to its original subject and removes it;
 * a dead letter whose header names no contract subject its own dead-letter subject is for (an
 * agent's forgery aimed at another node, a `dlq.evt` naming an install outcome) stays where it
 * is, does not stop a re-drive of every one, and can be discarded.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeadLetterHeaders, deadLetterSubject, NodeSubjects, Subjects, systemActor } from '@lockstep/contracts';
import {
  ensureFleetTopology,
  identityName,
  inboxPrefixFor,
  namespaceStreams,
  NatsClient,
  renderNatsAuthorization,
  type NatsIdentity,
} from '@lockstep/messaging';
import { startNatsServer, uniqueName, type NatsServerInstance } from '@lockstep/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers, nkeyAuthenticator, nkeys, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { AuditRepository } from '../audit/audit.repository';
import { DeadLetterStream } from './dead-letter-stream.repository';
import { DeadLettersService } from './dead-letters.service';
import type { OutboxDeadLettersRepository } from './outbox-dead-letters.repository';

const NS = uniqueName('dl');
const ST = namespaceStreams(NS);
const ns = (relative: string) => `${NS}.${relative}`;
const identities: NatsIdentity[] = [
  { kind: 'service', service: 'scheduler' },
  { kind: 'agent', nodeId: 'a' },
  { kind: 'admin' },
];
const keys = new Map(identities.map((identity) => [identityName(identity), { identity, pair: nkeys.createUser() }]));

/** Audit records the service writes (the outbox part has no rows: Postgres is not under test here). */
const recorded: unknown[] = [];
const outbox = {
  redrive: async (_ids: unknown, alongside: (m: unknown, result: unknown) => Promise<void>) => {
    await alongside({}, { moved: [], skipped: [] });
    return { moved: [], skipped: [] };
  },
} as unknown as OutboxDeadLettersRepository;
const audit = {
  recordIn: async (_m: unknown, input: unknown) => void recorded.push(input),
  record: async (input: unknown) => void recorded.push(input),
} as unknown as AuditRepository;

describe(`${DeadLetterStream.name} as the scheduler's NATS user`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-dlq-'));
  let server: NatsServerInstance;
  let admin: NatsConnection;
  let agent: NatsConnection;
  let scheduler: NatsClient;

  const connectAs = (name: string) => {
    const { pair } = keys.get(name)!;
    return connect({
      servers: server.url,
      authenticator: nkeyAuthenticator(pair.getSeed()),
      inboxPrefix: inboxPrefixFor(pair.getPublicKey()),
      reconnect: false,
    });
  };

  beforeAll(async () => {
    const users = [...keys.values()].map(({ identity, pair }) => ({ identity, publicKey: pair.getPublicKey() }));
    server = await startNatsServer({
      config: 'include "auth.conf"\n',
      files: { 'auth.conf': renderNatsAuthorization(NS, users) },
    });
    admin = await connectAs('admin');
    await ensureFleetTopology(admin, NS, { nodeIds: ['a'] });
    agent = await connectAs('agent-a');
    const seedFile = join(dir, 'scheduler.nk');
    writeFileSync(seedFile, new TextDecoder().decode(keys.get('scheduler')!.pair.getSeed()), { mode: 0o600 });
    scheduler = new NatsClient({
      service: 'scheduler',
      connection: { NATS_URL: [server.url], NATS_NKEY_SEED_FILE: seedFile },
      namespace: NS,
      handles: [],
    });
    await scheduler.connect();
  });
  afterAll(async () => {
    await scheduler?.onApplicationShutdown();
    await agent?.close();
    await admin?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Publishes a dead letter as `nc` would: the body, the dead-letter headers, on `dlq.<covered>`. */
  const deadLetter = async (nc: NatsConnection, covered: string, original: string, body: object) => {
    const h = headers();
    h.set(DeadLetterHeaders.Reason, 'cannot handle it');
    h.set(DeadLetterHeaders.OriginalSubject, ns(original));
    h.set(DeadLetterHeaders.Service, 'agent-a');
    h.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    return (await jetstream(nc).publish(ns(deadLetterSubject(covered)), JSON.stringify(body), { headers: h })).seq;
  };

  it('lists dead letters, re-drives an event and a command to their original subjects, and refuses a forged one', async () => {
    const eventSeq = await deadLetter(admin, Subjects.InstallFinished, `${Subjects.InstallFinished}.a`, {
      id: 'ev-1',
      data: {},
    });
    const commandSeq = await deadLetter(agent, NodeSubjects.install('a'), NodeSubjects.install('a'), {
      commandId: 'cmd-1',
    });
    // node a's agent may write dead letters of its own commands only, and names node b's subject
    const forgedSeq = await deadLetter(agent, NodeSubjects.install('a'), NodeSubjects.install('b'), {
      commandId: 'cmd-forged',
    });
    const sut = new DeadLettersService(new DeadLetterStream(scheduler), outbox, audit);
    const actor = systemActor('spec');

    const listed = await sut.list({ limit: 10 });
    const event = await sut.redrive({ seq: eventSeq, actor });
    const command = await sut.redrive({ seq: commandSeq, actor });
    const forged = await sut.redrive({ seq: forgedSeq, actor });
    const jsm = await jetstreamManager(admin);
    const republished = await jsm.streams.getMessage(ST.events, { last_by_subj: ns(`${Subjects.InstallFinished}.a`) });
    const command1 = await jsm.streams.getMessage(ST.commands, { last_by_subj: ns(NodeSubjects.install('a')) });
    const left = await sut.list({ limit: 10 });

    expect(listed.ok && listed.result.items.map((i) => [i.id, i.subject, i.service, i.eventId])).toEqual([
      [String(eventSeq), `${Subjects.InstallFinished}.a`, 'agent-a', 'ev-1'],
      [String(commandSeq), NodeSubjects.install('a'), 'agent-a', 'cmd-1'],
      [String(forgedSeq), deadLetterSubject(NodeSubjects.install('a')), 'agent-a', 'cmd-forged'],
    ]);
    expect([event.ok, command.ok]).toEqual([true, true]);
    expect(republished?.json()).toEqual({ id: 'ev-1', data: {} });
    expect(republished?.header.get('traceparent')).toMatch(/^00-0af7/);
    expect(republished?.header.get(DeadLetterHeaders.Reason)).toBe('');
    expect(republished?.header.get('Nats-Msg-Id')).toMatch(new RegExp(`^redrive-${eventSeq}-`));
    expect(command1?.json()).toEqual({ commandId: 'cmd-1' });
    expect(forged).toMatchObject({ ok: false, error: { code: 'NOTHING_REDRIVEN' } });
    expect(!forged.ok && forged.error.message).toMatch(`message ${forgedSeq} names no subject`);
    expect(left.ok && left.result.items.map((i) => i.id)).toEqual([String(forgedSeq)]);
    expect(recorded).toHaveLength(3);
  });

  it('re-drives every dead letter past those that name no contract subject (a dlq.evt forgery), which stay until discarded', async () => {
    // as the checker could before its NATS user lost dlq.>: an install outcome that never happened
    const forgedSeq = await deadLetter(admin, 'evt', `${Subjects.InstallFinished}.x`, { id: 'ev-forged', data: {} });
    const goodSeq = await deadLetter(admin, Subjects.RolloutChanged, Subjects.RolloutChanged, { id: 'ev-2' });
    const sut = new DeadLettersService(new DeadLetterStream(scheduler), outbox, audit);
    const actor = systemActor('spec');
    const jsm = await jetstreamManager(admin);

    const all = await sut.redrive({ kind: 'message', actor });
    const forgedPublished = await jsm.streams
      .getMessage(ST.events, { last_by_subj: ns(`${Subjects.InstallFinished}.x`) })
      .catch(() => null);
    const discarded = await sut.discard({ seq: forgedSeq, actor });
    const left = await sut.list({ limit: 10 });

    expect(all.ok && all.result.redriven.map((r) => r.id)).toEqual([String(goodSeq)]);
    expect(all.ok && all.result.problems.map((p) => p.id)).toEqual(expect.arrayContaining([String(forgedSeq)]));
    expect(forgedPublished).toBeNull();
    expect(discarded).toMatchObject({ ok: true, result: { discarded: { id: String(forgedSeq) } } });
    expect(left.ok && left.result.items.map((i) => i.id)).not.toContain(String(forgedSeq));
  });
});
