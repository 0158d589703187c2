import { systemActor, type DeadLetterRedriveV1 } from '@lockstep/contracts';
import type { AuditRepository } from '../audit/audit.repository';
import type { DeadLetterStream, StoredDeadLetter } from './dead-letter-stream.repository';
import { DeadLettersService } from './dead-letters.service';
import type { OutboxDeadLettersRepository } from './outbox-dead-letters.repository';

const actor = systemActor('spec');
const letter = (seq: number): StoredDeadLetter =>
  ({
    seq,
    subject: 'dlq.evt.check.failed.v1',
    originalSubject: 'evt.check.failed.v1',
    service: 'notifier',
    reason: 'x',
    eventId: `ev-${seq}`,
    at: new Date(0),
  }) as StoredDeadLetter;

function setup(moved: string[] = [], letters = [letter(1), letter(2)], refused = new Set<number>()) {
  const calls: string[] = [];
  const records: Array<{ target: string; params?: Record<string, unknown> }> = [];
  const stream = {
    list: async () => (calls.push('stream.list'), letters),
    get: async (seq: number) => (calls.push(`stream.get ${seq}`), seq < 10 ? letter(seq) : undefined),
    discard: async (seq: number) => void calls.push(`stream.discard ${seq}`),
    redrive: async (l: StoredDeadLetter) => {
      calls.push(`stream.redrive ${l.seq}`);
      if (refused.has(l.seq)) throw new Error('Permissions Violation for Publish');
      if (l.seq >= 100) throw Object.assign(new Error('NATS is not reachable'), { name: 'MessagingUnavailableError' });
    },
  } as unknown as DeadLetterStream;
  const outbox = {
    redrive: async (ids: string[] | 'all', alongside: (m: unknown, result: unknown) => Promise<void>) => {
      calls.push(`outbox.redrive ${JSON.stringify(ids)}`);
      const rows = moved.map((id) => ({ id, outboxId: '99', subject: 'evt.release.available.v1', eventId: 'e' }));
      await alongside({}, { moved: rows, skipped: [] });
      return { moved: rows, skipped: [] };
    },
    discard: async (id: string, alongside: (m: unknown, subject?: string) => Promise<void>) => {
      calls.push(`outbox.discard ${id}`);
      await alongside({}, moved.includes(id) ? 'evt.release.available.v1' : undefined);
    },
  } as unknown as OutboxDeadLettersRepository;
  const audit = {
    recordIn: async (_m: unknown, r: { target: string; params?: Record<string, unknown> }) => {
      calls.push('audit');
      records.push(r);
    },
    record: async (r: { target: string; params?: Record<string, unknown> }) => {
      calls.push('audit');
      records.push(r);
    },
  } as unknown as AuditRepository;
  return { sut: new DeadLettersService(stream, outbox, audit), calls, records };
}

describe(DeadLettersService.name, () => {
  it.each<[string, DeadLetterRedriveV1, string[], string]>([
    [
      'every kind',
      {},
      ['stream.list', 'outbox.redrive "all"', 'audit', 'stream.redrive 1', 'stream.redrive 2'],
      'all:message+outbox',
    ],
    [
      'every message',
      { kind: 'message' },
      ['stream.list', 'outbox.redrive []', 'audit', 'stream.redrive 1', 'stream.redrive 2'],
      'all:message',
    ],
    ['every outbox row', { kind: 'outbox' }, ['outbox.redrive "all"', 'audit'], 'all:outbox'],
    ['one message', { seq: 3 }, ['stream.get 3', 'outbox.redrive []', 'audit', 'stream.redrive 3'], 'message#3'],
    ['one outbox row', { outboxId: '5' }, ['outbox.redrive ["5"]', 'audit'], 'outbox#5'],
  ])('re-drives %s, its audit record committed before anything is published', async (_what, req, expected, target) => {
    const { sut, calls, records } = setup(['5']);

    const reply = await sut.redrive({ ...req, actor });

    expect(reply.ok).toBe(true);
    expect(calls).toEqual(expected);
    expect(records.map((r) => r.target)).toEqual([target]);
  });

  it('refuses a request naming a message and an outbox row', async () => {
    const { sut, calls } = setup();

    const reply = await sut.redrive({ seq: 1, outboxId: '5', actor });

    expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(calls).toEqual([]);
  });

  it.each<[string, DeadLetterRedriveV1, RegExp]>([
    ['a message', { seq: 42 }, /no message 42 .*lockstep dead-letters --kind message/],
    ['an outbox row', { outboxId: '7' }, /no row 7 .*lockstep dead-letters --kind outbox/],
  ])('answers NOT_FOUND for %s that is no dead letter, and records nothing', async (_what, req, message) => {
    const { sut, records } = setup();

    const reply = await sut.redrive({ ...req, actor });

    expect(reply).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: expect.stringMatching(message) } });
    expect(records).toEqual([]);
  });

  it('goes on past dead letters it cannot re-drive and reports each with why', async () => {
    const unroutable = { ...letter(2), originalSubject: null };
    const { sut, calls, records } = setup([], [letter(1), unroutable, letter(3), letter(4)], new Set([3]));

    const reply = await sut.redrive({ kind: 'message', actor });

    expect(calls).toEqual([
      'stream.list',
      'outbox.redrive []',
      'audit',
      'stream.redrive 1',
      'stream.redrive 3',
      'stream.redrive 4',
    ]);
    expect(reply.ok && reply.result.redriven.map((r) => r.id)).toEqual(['1', '4']);
    expect(reply.ok && reply.result.problems).toEqual([
      { kind: 'message', id: '2', problem: expect.stringMatching(/names no subject .*discard --message 2/) },
      { kind: 'message', id: '3', problem: expect.stringMatching(/Permissions Violation/) },
    ]);
    expect(records[0]?.params).toMatchObject({ messages: ['1', '3', '4'], refused: [{ id: '2' }] });
  });

  it('answers NOTHING_REDRIVEN when it could re-drive none of what it found', async () => {
    const { sut, records } = setup([], [{ ...letter(2), originalSubject: null }]);

    const reply = await sut.redrive({ kind: 'message', actor });

    expect(reply).toMatchObject({
      ok: false,
      error: { code: 'NOTHING_REDRIVEN', message: expect.stringMatching(/message 2 names no subject/) },
    });
    expect(records).toHaveLength(1);
  });

  it.each<[string, { seq?: number; outboxId?: string }, string[], string]>([
    ['a message', { seq: 3 }, ['stream.get 3', 'audit', 'stream.discard 3'], 'message#3'],
    ['an outbox row', { outboxId: '5' }, ['outbox.discard 5', 'audit'], 'outbox#5'],
  ])('discards %s after its audit record', async (_what, req, expected, target) => {
    const { sut, calls, records } = setup(['5']);

    const reply = await sut.discard({ ...req, actor });

    expect(reply.ok).toBe(true);
    expect(calls).toEqual(expected);
    expect(records).toEqual([expect.objectContaining({ action: 'dead-letter.discard', target })]);
  });

  it.each<[string, { seq?: number; outboxId?: string }, string]>([
    ['a message that is no dead letter', { seq: 42 }, 'NOT_FOUND'],
    ['an outbox row that is no dead letter', { outboxId: '7' }, 'NOT_FOUND'],
    ['nothing', {}, 'INVALID_REQUEST'],
    ['two things', { seq: 1, outboxId: '5' }, 'INVALID_REQUEST'],
  ])('refuses to discard %s and records nothing', async (_what, req, code) => {
    const { sut, records } = setup();

    const reply = await sut.discard({ ...req, actor });

    expect(reply).toMatchObject({ ok: false, error: { code } });
    expect(records).toEqual([]);
  });

  it('stops publishing once NATS is away, reporting the rest as not tried, instead of waiting on each', async () => {
    const { sut, calls } = setup([], [letter(1), letter(100), letter(101)]);

    const reply = await sut.redrive({ kind: 'message', actor });

    expect(calls.filter((c) => c.startsWith('stream.redrive'))).toEqual(['stream.redrive 1', 'stream.redrive 100']);
    expect(reply.ok && reply.result.problems).toEqual([
      { kind: 'message', id: '100', problem: expect.stringMatching(/NATS is not reachable/) },
      { kind: 'message', id: '101', problem: expect.stringMatching(/not tried: NATS is not reachable.*again/) },
    ]);
  });
});
