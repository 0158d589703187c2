import type { DeliveryView } from '@lockstep/contracts';
import { UsageError } from '../errors';
import { formatDeliveries, parseLimit } from './deliveries.command';

const SUB = '6f1c2a52-3c1e-4a57-9d0e-2b1c3d4e5f60';

const delivery = (over: Partial<DeliveryView> = {}): DeliveryView => ({
  id: 'msg_1',
  subscriptionId: SUB,
  subscriptionName: 'ops',
  eventId: 'ev-1',
  eventName: 'release.available',
  eventSubject: 'demo',
  status: 'delivered',
  attemptCount: 2,
  nextAttemptAt: null,
  lastError: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:06.000Z',
  attempts: [
    {
      attempt: 1,
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 10000,
      outcome: 'retry',
      statusCode: null,
      response: null,
      error: 'timed out after 10s',
    },
    {
      attempt: 2,
      startedAt: '2026-01-01T00:00:05.000Z',
      durationMs: 35,
      outcome: 'delivered',
      statusCode: 200,
      response: 'ok',
      error: null,
    },
  ],
  ...over,
});

describe(formatDeliveries.name, () => {
  it('prints each delivery followed by its attempts: status code, duration, outcome, error or response', () => {
    const sut = formatDeliveries([delivery()], 'none').split('\n');

    expect(sut[0]).toMatch(/^DELIVERY\s+STATUS\s+EVENT\s+SUBJECT\s+SUBSCRIPTION\s+ATTEMPTS\s+CREATED$/);
    expect(sut[1]).toMatch(/^msg_1\s+delivered\s+release\.available\s+demo\s+ops 6f1c2a52\s+2\s+2026-01-01 00:00:00Z$/);
    expect(sut[2]).toBe('    #1  2026-01-01 00:00:00Z  ---    10.0 s  retry  timed out after 10s');
    expect(sut[3]).toBe('    #2  2026-01-01 00:00:05Z  200     35 ms  delivered  response: ok');
  });

  it('says when the next attempt of a pending delivery is due', () => {
    const sut = formatDeliveries(
      [delivery({ status: 'pending', attempts: [], nextAttemptAt: '2026-01-01T00:01:00.000Z' })],
      'none',
    );

    expect(sut).toContain('    next attempt 2026-01-01 00:01:00Z');
  });

  it('prints the empty message', () => {
    expect(formatDeliveries([], 'no dead letters')).toBe('no dead letters\n');
  });
});

describe(parseLimit.name, () => {
  it.each(['0', '201', '1.5', 'ten', '-1'])('refuses %s', (v) => {
    expect(() => parseLimit(v)).toThrow(UsageError);
  });

  it('accepts 1..200', () => {
    expect(parseLimit('200')).toBe(200);
  });
});
