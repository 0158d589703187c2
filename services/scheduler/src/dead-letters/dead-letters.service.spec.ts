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

function setup(moved: string[] = []) {
  const calls: string[] = [];
  const records: Array<{ target: string; params?: Record<string, unknown> }> = [];
  const stream = {
    list: async () => (calls.push('stream.list'), [letter(1), letter(2)]),
    get: async (seq: number) => (calls.push(`stream.get ${seq}`), seq < 10 ? letter(seq) : undefined),
    redrive: async (l: StoredDeadLetter) => void calls.push(`stream.redrive ${l.seq}`),
  } as unknown as DeadLetterStream;
  const outbox = {
    redrive: async (ids: string[] | 'all', alongside: (m: unknown, rows: unknown[]) => Promise<void>) => {
      calls.push(`outbox.redrive ${JSON.stringify(ids)}`);
      const rows = moved.map((id) => ({ id, outboxId: '99', subject: 'evt.release.available.v1', eventId: 'e' }));
      await alongside({}, rows);
      return rows;
    },
  } as unknown as OutboxDeadLettersRepository;
  const audit = {
    recordIn: async (_m: unknown, r: { target: string; params?: Record<string, unknown> }) => void records.push(r),
  } as unknown as AuditRepository;
  return { sut: new DeadLettersService(stream, outbox, audit), calls, records };
}

describe(DeadLettersService.name, () => {
  it.each<[string, DeadLetterRedriveV1, string[], string]>([
    [
      'every kind',
      {},
      ['stream.list', 'stream.redrive 1', 'stream.redrive 2', 'outbox.redrive "all"'],
      'all:message+outbox',
    ],
    [
      'every message',
      { kind: 'message' },
      ['stream.list', 'stream.redrive 1', 'stream.redrive 2', 'outbox.redrive []'],
      'all:message',
    ],
    ['every outbox row', { kind: 'outbox' }, ['outbox.redrive "all"'], 'all:outbox'],
    ['one message', { seq: 3 }, ['stream.get 3', 'stream.redrive 3', 'outbox.redrive []'], 'message#3'],
    ['one outbox row', { outboxId: '5' }, ['outbox.redrive ["5"]'], 'outbox#5'],
  ])('re-drives %s and writes one audit record', async (_what, req, expected, target) => {
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
});
