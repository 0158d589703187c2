import { run } from '../program';

/** One request the CLI sent to the fake API. */
export interface SentRequest {
  method: string;
  url: string;
  body: unknown;
}

/** A JSON answer of the fake API. */
export const jsonResponse = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** What a spec observes and controls around `run`. */
export interface FakeApiHooks {
  /** Records the request and answers it. */
  onRequest(req: SentRequest): Response;
  stdout(text: string): void;
  stderr(text: string): void;
  /** The CLI's sleep (waiting between polls) on the spec's clock. */
  sleep(ms: number): void;
  now(): number;
}

/** `lockstep …` through `run`, against a fake API answering from the spec's hooks (120 columns; a TTY when asked). */
export function fakeApiCli(env: Record<string, string>, hooks: FakeApiHooks) {
  return (argv: string[], options: { tty?: boolean } = {}) =>
    run(argv, {
      io: { stdout: hooks.stdout, stderr: hooks.stderr, isTty: options.tty ?? false, columns: 120 },
      env,
      fetch: (async (url: string, init: RequestInit) =>
        hooks.onRequest({
          method: String(init.method),
          url: String(url),
          body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
        })) as unknown as typeof fetch,
      sleep: async (ms) => hooks.sleep(ms),
      now: () => hooks.now(),
    });
}
