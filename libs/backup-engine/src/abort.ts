/** Throws `makeError()` when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, makeError: () => Error): void {
  if (signal?.aborted) throw makeError();
}

/**
 * Passes `source` through, but rejects with `makeError()` as soon as the signal fires, even
 * while the source is blocked (a pg_dump waiting on a lock, a stalled disk). On abort the
 * source's `return()` is started without waiting for it; on an ordinary early stop it is
 * awaited, so e.g. pgDumpSource has killed pg_dump before the backup's promise settles.
 */
export function abortable<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal | undefined,
  makeError: () => Error,
): AsyncIterable<T> {
  if (!signal) return source;
  return (async function* () {
    throwIfAborted(signal, makeError);
    const it = source[Symbol.asyncIterator]();
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(makeError());
      signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    let finished = false;
    let pending = false;
    try {
      for (;;) {
        const next = it.next();
        pending = true;
        next.catch(() => undefined); // when abort wins the race, nobody else awaits it
        const r = await Promise.race([next, aborted]);
        pending = false;
        if (r.done) {
          finished = true;
          return;
        }
        yield r.value;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (!finished && it.return) {
        const closing = Promise.resolve(it.return()).catch(() => undefined);
        if (!pending) await closing;
      }
    }
  })();
}
