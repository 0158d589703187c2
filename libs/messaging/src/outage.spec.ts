import { classifyFailure, isInfrastructureOutage } from './outage';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe(isInfrastructureOutage.name, () => {
  it.each<[string, unknown, boolean]>([
    ['a refused connection', coded('ECONNREFUSED'), true],
    ['a refused connection on every address (AggregateError)', new AggregateError([coded('ECONNREFUSED')]), true],
    ['Postgres shutting down', coded('57P01', 'terminating connection due to administrator command'), true],
    ['Postgres starting up', coded('57P03', 'the database system is starting up'), true],
    [
      'a TypeORM query failure whose driver lost the connection',
      Object.assign(new Error('query failed'), { driverError: coded('08006') }),
      true,
    ],
    ['a connection lost mid-query (pg, no code)', new Error('Connection terminated unexpectedly'), true],
    ['a backend ended by the crash of another (57P02)', coded('57P02', 'crash of another server process'), true],
    ['a pool that could not connect in time', new Error('timeout exceeded when trying to connect'), true],
    ['NATS unreachable', Object.assign(new Error('no'), { name: 'MessagingUnavailableError' }), true],
    ['a cause further down', new Error('recording failed', { cause: coded('ECONNRESET') }), true],
    ['a unique violation', coded('23505', 'duplicate key value'), false],
    ['a serialization failure (retried, but no outage)', coded('40001'), false],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')"), false],
    ['nothing thrown', undefined, false],
  ])('%s: %s', (_what, err, expected) => {
    expect(isInfrastructureOutage(err)).toBe(expected);
  });

  it('survives an error that is its own cause', () => {
    const err = new Error('loop') as Error & { cause?: unknown };
    err.cause = err;

    expect(isInfrastructureOutage(err)).toBe(false);
  });

  it.each<[string, unknown, ReturnType<typeof classifyFailure>]>([
    ['a refused connection', coded('ECONNREFUSED'), 'outage'],
    ['Postgres starting up', coded('57P03', 'the database system is starting up'), 'outage'],
    // the other sessions of a crashed server are told 57P02: they are victims, not the cause
    ['a session ended by the crash of another (57P02)', coded('57P02', 'crash of another server process'), 'outage'],
    // the session whose query crashed its backend sees its connection end with no word
    ['its own connection ended unexpectedly', new Error('Connection terminated unexpectedly'), 'connection-lost'],
    [
      'its own connection ended, wrapped by TypeORM',
      Object.assign(new Error('query failed'), { driverError: new Error('Connection terminated unexpectedly') }),
      'connection-lost',
    ],
    ['a bug', new TypeError('x is undefined'), 'own'],
  ])('classifies %s as %s', (_what, err, expected) => {
    expect(classifyFailure(err)).toBe(expected);
  });
});
