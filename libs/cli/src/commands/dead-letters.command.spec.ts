import type { DeadLetterView } from '@lockstep/contracts';
import { UsageError } from '../errors';
import { jsonResponse, recordingCli } from '../testing/fake-api';
import { replayRequests } from './dead-letters.command';

const SUB = '6f1c2a52-3c1e-4a57-9d0e-2b1c3d4e5f60';

const letter = (over: Partial<DeadLetterView>): DeadLetterView => ({
  kind: 'message',
  id: '7',
  subject: 'evt.backup.changed.v1._control',
  eventId: 'ev-7',
  reason: 'cannot handle it',
  at: '2026-01-01T00:00:00.000Z',
  service: 'scheduler',
  subscriptionId: null,
  ...over,
});

describe(replayRequests.name, () => {
  it.each([
    [{ delivery: 'msg_1' }, [['replay', { deliveryId: 'msg_1' }]]],
    [{ subscription: SUB }, [['replay', { subscriptionId: SUB }]]],
    [{ message: '12' }, [['redrive', { seq: 12 }]]],
    [{ outbox: '5' }, [['redrive', { outboxId: '5' }]]],
    [{ all: true, kind: 'delivery' as const }, [['replay', {}]]],
    [{ all: true, kind: 'outbox' as const }, [['redrive', { kind: 'outbox' }]]],
    [
      { all: true },
      [
        ['replay', {}],
        ['redrive', {}],
      ],
    ],
  ])('%j -> %j', (options, expected) => {
    const sut = replayRequests(options).map((r) => [r.path.split('/').pop(), r.body]);

    expect(sut).toEqual(expected);
  });

  it.each([[{}], [{ all: true, delivery: 'msg_1' }], [{ message: '1', outbox: '2' }], [{ kind: 'outbox' as const }]])(
    'needs exactly one choice: %j',
    (options) => {
      expect(() => replayRequests(options)).toThrow(UsageError);
    },
  );

  it.each(['0', 'x', '1.5'])('refuses --message %s', (message) => {
    expect(() => replayRequests({ message })).toThrow(/--message takes the sequence number/);
  });
});

/** `lockstep dead-letters …` through `run`, against a fake API. */
describe('lockstep dead-letters', () => {
  const { lockstep, seen, reset } = recordingCli();

  beforeEach(reset);

  it('lists every kind with the service that gave up; --kind narrows it; --json prints the items', async () => {
    const items = [letter({}), letter({ kind: 'outbox', id: '3', service: null, reason: 'no stream captures it' })];
    seen.answer = () => jsonResponse(200, { items });

    await lockstep(['dead-letters']);
    const table = seen.out;
    seen.out = '';
    await lockstep(['dead-letters', '--kind', 'message', '--json']);

    expect(table.split('\n').slice(0, 3)).toEqual([
      expect.stringMatching(/^KIND\s+ID\s+SUBJECT\s+SERVICE\s+WHEN\s+REASON$/),
      expect.stringMatching(
        /^message\s+7\s+evt\.backup\.changed\.v1\._control\s+scheduler\s+2026-01-01 00:00:00Z\s+cannot handle it$/,
      ),
      expect.stringMatching(
        /^outbox\s+3\s+evt\.backup\.changed\.v1\._control\s+-?\s+2026-01-01 00:00:00Z\s+no stream captures it$/,
      ),
    ]);
    expect(seen.sent.map((s) => s.url)).toEqual([
      'http://api.test/v1/dead-letters?limit=50',
      'http://api.test/v1/dead-letters?limit=50&kind=message',
    ]);
    expect(JSON.parse(seen.out)).toEqual(items);
  });

  it('replay --all replays dead deliveries and re-drives messages and outbox rows, saying what went where', async () => {
    seen.answer = (req) =>
      req.url.endsWith('/replay')
        ? jsonResponse(200, { replayed: 2 })
        : jsonResponse(200, {
            redriven: [
              { kind: 'message', id: '7', subject: 'evt.check.failed.v1', service: 'notifier' },
              { kind: 'outbox', id: '3', subject: 'evt.release.available.v1', service: null },
            ],
          });

    const code = await lockstep(['dead-letters', 'replay', '--all']);

    expect(code).toBe(0);
    expect(seen.sent.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', 'http://api.test/v1/dead-letters/replay', {}],
      ['POST', 'http://api.test/v1/dead-letters/redrive', {}],
    ]);
    expect(seen.out).toBe(
      'replayed 2 dead deliveries\nre-drove 2 dead letters\n' +
        '  message 7 -> evt.check.failed.v1 (again to notifier)\n' +
        '  outbox 3 -> evt.release.available.v1 (back in the outbox)\n',
    );
  });

  it('replay --message SEQ --json asks for that message only and prints the reply', async () => {
    const redriven = [{ kind: 'message', id: '7', subject: 'evt.check.failed.v1', service: 'notifier' }];
    seen.answer = () => jsonResponse(200, { redriven });

    await lockstep(['dead-letters', 'replay', '--message', '7', '--json']);

    expect(seen.sent.map((s) => s.body)).toEqual([{ seq: 7 }]);
    expect(JSON.parse(seen.out)).toEqual({ redriven });
  });

  it('warns on stderr about dead letters the API could not list, and lists the rest', async () => {
    const warning = 'dead-lettered stream messages were not listed: no responders. Start the scheduler';
    seen.answer = () => jsonResponse(200, { items: [letter({ kind: 'outbox', id: '3' })], warnings: [warning] });

    const code = await lockstep(['dead-letters', '--json']);

    expect(code).toBe(0);
    expect(JSON.parse(seen.out)).toEqual([letter({ kind: 'outbox', id: '3' })]);
    expect(seen.err).toBe(`warning: ${warning}\n`);
  });

  it('replay --all says what stayed a dead letter and why, and what was already waiting', async () => {
    seen.answer = () =>
      jsonResponse(200, {
        redriven: [{ kind: 'message', id: '7', subject: 'evt.check.failed.v1', service: 'notifier' }],
        skipped: [{ kind: 'outbox', id: '4', eventId: 'ev-4' }],
        problems: [{ kind: 'message', id: '8', problem: 'message 8 names no subject a re-drive may publish' }],
      });

    await lockstep(['dead-letters', 'replay', '--all', '--kind', 'message']);

    expect(seen.out).toBe(
      're-drove 1 dead letter\n' +
        '  message 7 -> evt.check.failed.v1 (again to notifier)\n' +
        '  outbox 4: its event ev-4 already waits in the outbox; dropped the dead letter\n' +
        'left 1 dead letter:\n' +
        '  message 8: message 8 names no subject a re-drive may publish\n',
    );
  });

  it.each<[string[], { seq?: number; outboxId?: string }, string]>([
    [['--message', '7'], { seq: 7 }, 'discarded message 7 (evt.check.failed.v1)\n'],
    [['--outbox', '5'], { outboxId: '5' }, 'discarded outbox 5 (evt.check.failed.v1)\n'],
  ])('discard %j drops that dead letter', async (args, body, printed) => {
    const discarded = {
      kind: body.seq ? 'message' : 'outbox',
      id: String(body.seq ?? body.outboxId),
      subject: 'evt.check.failed.v1',
    };
    seen.answer = () => jsonResponse(200, { discarded });

    await lockstep(['dead-letters', 'discard', ...args]);
    const text = seen.out;
    seen.out = '';
    await lockstep(['dead-letters', 'discard', ...args, '--json']);

    expect(seen.sent.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', 'http://api.test/v1/dead-letters/discard', body],
      ['POST', 'http://api.test/v1/dead-letters/discard', body],
    ]);
    expect(text).toBe(printed);
    expect(JSON.parse(seen.out)).toEqual({ discarded });
  });

  it.each([[[]], [['--message', '1', '--outbox', '2']], [['--message', 'x']]])(
    'discard %j needs one dead letter',
    async (args) => {
      const code = await lockstep(['dead-letters', 'discard', ...args]);

      expect(code).toBe(2);
      expect(seen.err).toMatch(/--message SEQ or --outbox ID|--message takes/);
      expect(seen.sent).toEqual([]);
    },
  );
});
