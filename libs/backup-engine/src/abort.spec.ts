import { abortable } from './abort';

const stop = () => new Error('stopped');

describe(abortable.name, () => {
  it('passes the source through untouched without a signal', () => {
    const source = (async function* () {})();

    expect(abortable(source, undefined, stop)).toBe(source);
  });

  it('rejects promptly while the source is blocked, and closes the source', async () => {
    let closed = false;
    const blocked: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<number>>(() => undefined), // never settles, like a stalled pg_dump
        return: async () => {
          closed = true;
          return { done: true, value: undefined };
        },
      }),
    };
    const controller = new AbortController();
    const iterating = (async () => {
      for await (const _ of abortable(blocked, controller.signal, stop)) void _;
    })();

    setTimeout(() => controller.abort(), 10);

    await expect(iterating).rejects.toThrow('stopped');
    expect(closed).toBe(true);
  });

  it('awaits the source closing on an ordinary early stop', async () => {
    const events: string[] = [];
    const source = (async function* () {
      try {
        yield 1;
        yield 2;
      } finally {
        await new Promise((r) => setTimeout(r, 5));
        events.push('source closed');
      }
    })();

    for await (const n of abortable(source, new AbortController().signal, stop)) if (n === 1) break;
    events.push('loop done');

    expect(events).toEqual(['source closed', 'loop done']);
  });

  it('rejects at once when the signal has already fired', async () => {
    const controller = new AbortController();
    controller.abort();

    const first = abortable(
      (async function* () {
        yield 1;
      })(),
      controller.signal,
      stop,
    )
      [Symbol.asyncIterator]()
      .next();

    await expect(first).rejects.toThrow('stopped');
  });
});
