import { MessagingUnavailableError, NatsFailures } from '@lockstep/messaging';
import { classifyTransportError, ownerOf } from './query-gateway';

describe(classifyTransportError.name, () => {
  it.each([
    [
      'Nest NATS client, nobody subscribed',
      new Error('Empty response. There are no subscribers listening to that message ("ns.qry.x")'),
      'no-responders',
    ],
    [
      'nats.js request, nobody subscribed',
      Object.assign(new Error('no responders: ns.qry.x'), { name: 'NoRespondersError' }),
      'no-responders',
    ],
    ['rxjs timeout', Object.assign(new Error('Timeout has occurred'), { name: 'TimeoutError' }), 'timeout'],
    [
      'NATS down',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4222'), { name: 'ConnectionError' }),
      'connection',
    ],
    ['connection closed', new Error('Connection closed'), 'connection'],
    [
      'NATS refused the credentials',
      new MessagingUnavailableError(NatsFailures.Authentication, 'cannot connect to NATS at nats://n:4222: …'),
      'connection',
    ],
    ['handler error object', { status: 'error', message: 'Internal server error' }, 'remote'],
  ])('%s -> %s', (_name, err, expected) => {
    expect(classifyTransportError(err)).toBe(expected);
  });
});

describe(ownerOf.name, () => {
  it.each([
    ['qry.notifier.subscription-upsert.v1', 'notifier'],
    ['qry.checker.check-now.v1', 'checker'],
  ] as const)('%s is owned by the %s', (query, owner) => {
    expect(ownerOf(query)).toBe(owner);
  });
});
