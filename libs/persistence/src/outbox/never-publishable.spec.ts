import type { JetStreamManager } from '@nats-io/jetstream';
import { errors } from '@nats-io/nats-core';
import { whyNeverPublishable } from './never-publishable';

const SUBJECT = 'ns.cmd.backup.operation.v1';
const noResponders = () =>
  new Error('jetstream is not enabled', {
    cause: new errors.RequestError(`no responders: '${SUBJECT}'`, { cause: new errors.NoRespondersError(SUBJECT) }),
  });
/** A JetStreamManager whose stream lookup by subject answers `find`. */
const jsmWhere = (find: () => Promise<string>) => ({ streams: { find: jest.fn(find) } }) as unknown as JetStreamManager;
const noStream = jsmWhere(() => Promise.reject(new Error('no stream matches subject')));
const aStream = jsmWhere(() => Promise.resolve('COMMANDS'));
const unreachable = jsmWhere(() =>
  Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
);

describe(whyNeverPublishable.name, () => {
  it.each([
    [
      'a payload over max_payload',
      new errors.InvalidArgumentError("'payload' max_payload size exceeded"),
      noStream,
      /too large/,
    ],
    ['a stream refusing the size', new Error('message size exceeds maximum allowed'), aStream, /too large/],
    [
      'a permissions violation',
      new errors.PermissionViolationError(`Permissions Violation for Publish to "${SUBJECT}"`, 'publish', SUBJECT),
      aStream,
      /refused by NATS/,
    ],
    ['no responders and no stream captures the subject', noResponders(), noStream, /no stream captures/],
  ])('%s can never be published', async (_case, err, jsm, reason) => {
    const sut = await whyNeverPublishable(err, jsm);

    expect(sut).toMatch(reason);
  });

  it.each([
    ['no responders while a stream captures the subject (JetStream restarting)', noResponders(), aStream],
    ['no responders while the stream lookup fails too', noResponders(), unreachable],
    ['a timeout', new errors.TimeoutError(), noStream],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), noStream],
    ['a closed connection', new errors.ClosedConnectionError(), noStream],
    ['anything else', new Error('something unexpected'), noStream],
  ])('%s is retried', async (_case, err, jsm) => {
    const sut = await whyNeverPublishable(err, jsm);

    expect(sut).toBeNull();
  });
});
