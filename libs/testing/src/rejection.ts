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
  expect(err).toBeInstanceOf(type);
  return err as E;
}
