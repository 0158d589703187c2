/**
 * The error `attempt` rejects with, asserted to be an instance of `type`; fails the test when it
 * resolves or rejects with something else. For tests that then look at the error's code and message.
 */
export async function rejectionOf<E extends Error>(
  attempt: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const err = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  // a plain throw, not expect(): this library is also built for the demo, without Jest's globals
  if (!(err instanceof type))
    throw new Error(
      `expected a rejection with ${type.name}, got ${err === undefined ? 'a resolved promise' : JSON.stringify(err)}`,
    );
  return err;
}
