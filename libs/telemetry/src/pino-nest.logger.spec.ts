import { createLogger } from './logger.factory';
import { PinoNestLogger } from './pino-nest.logger';

function makeSut(level: Parameters<typeof createLogger>[1] = 'trace') {
  const raw: string[] = [];
  const sut = new PinoNestLogger(
    createLogger('api', level, { destination: { write: (l: string) => void raw.push(l) } }),
  );
  return { sut, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const STACK = 'Error: boom\n    at Object.<anonymous> (/app/main.js:1:1)';

describe(PinoNestLogger.name, () => {
  it('writes Nest log lines as JSON with the context', () => {
    const { sut, lines } = makeSut();

    sut.log('Mapped {/metrics, GET} route', 'RouterExplorer');

    expect(lines()[0]).toMatchObject({
      level: 'info',
      msg: 'Mapped {/metrics, GET} route',
      context: 'RouterExplorer',
      service: 'api',
    });
  });

  it.each([
    [
      'message, stack, context',
      ['failed', STACK, 'ExceptionsHandler'],
      { msg: 'failed', stack: STACK, context: 'ExceptionsHandler' },
    ],
    ['message, stack', ['failed', STACK], { msg: 'failed', stack: STACK }],
    ['message, context', ['failed', 'Bootstrap'], { msg: 'failed', context: 'Bootstrap' }],
    ['message, undefined stack, context', ['failed', undefined, 'Bootstrap'], { msg: 'failed', context: 'Bootstrap' }],
  ])('reads error(%s) the way Nest passes it', (_shape, args, expected) => {
    const { sut, lines } = makeSut();

    sut.error(...(args as [unknown, ...unknown[]]));

    expect(lines()[0]).toMatchObject({ level: 'error', ...expected });
  });

  it('logs an Error as err with its message', () => {
    const { sut, lines } = makeSut();

    sut.error(new Error('db down'), 'Bootstrap');

    expect(lines()[0]).toMatchObject({
      msg: 'db down',
      context: 'Bootstrap',
      err: { type: 'Error', message: 'db down' },
    });
  });

  it('merges an object message into the line', () => {
    const { sut, lines } = makeSut();

    sut.warn({ event: 'lease.lost', cluster: 'c1' }, 'FleetLock');

    expect(lines()[0]).toMatchObject({ level: 'warn', event: 'lease.lost', cluster: 'c1', context: 'FleetLock' });
  });

  it('maps verbose to trace and follows setLogLevels', () => {
    const { sut, lines } = makeSut();

    sut.verbose('v1');
    sut.setLogLevels(['error', 'warn', 'log']);
    sut.debug('d1');
    sut.log('l1');
    sut.setLogLevels([]);
    sut.fatal('f1');

    expect(lines().map((l) => [l.level, l.msg])).toEqual([
      ['trace', 'v1'],
      ['info', 'l1'],
    ]);
  });
});
