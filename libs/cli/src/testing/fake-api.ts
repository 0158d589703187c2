import type { z } from 'zod';
import {
  ApiErrorCode,
  ApproveUpdateBody,
  CreateBackupBody,
  CreateHoldBody,
  CreateRollbackBody,
  CreateRolloutBody,
  CreateScheduleBody,
  CreateSubscriptionBody,
  CreateTokenBody,
  CreateWindowBody,
  formatIssues,
  ListBackupsQuery,
  ListDeadLettersQuery,
  ListDeliveriesQuery,
  ListReleasesQuery,
  ListRolloutsQuery,
  PatchPolicyBody,
  PatchSubscriptionBody,
  PostChecksBody,
  PruneBackupsBody,
  PutComponentBody,
  PutPolicyBody,
  RedriveDeadLettersBody,
  RejectUpdateBody,
  ReleaseHoldQuery,
  ReleaseLockBody,
  RemoveNodeQuery,
  ReplayDeadLettersBody,
  RestoreBackupBody,
  SetEnabledBody,
} from '@lockstep/contracts';
import { run } from '../program';

/** One request the CLI sent to the fake API. */
export interface SentRequest {
  method: string;
  url: string;
  body: unknown;
}

/** The token the fake API's CLI sends unless a spec's env gives another (LOCKSTEP_TOKEN). */
export const FAKE_API_TOKEN = `lst_0123456789abcdef_${'A'.repeat(43)}`;

/** A problem answer (RFC 9457) as the API sends its errors. */
export const problemResponse = (status: number, code: string, detail: string): Response =>
  new Response(JSON.stringify({ type: 'about:blank', title: code, status, detail, code }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });

/** A JSON answer of the fake API. */
export const jsonResponse = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** The contracts the API validates requests with, by route: the fake API refuses what the real one would. */
const API_REQUESTS: Array<{ method: string; path: RegExp; body?: z.ZodType; query?: z.ZodType }> = [
  { method: 'PUT', path: /^\/v1\/components\/[^/]+$/, body: PutComponentBody },
  { method: 'POST', path: /^\/v1\/checks$/, body: PostChecksBody },
  { method: 'GET', path: /^\/v1\/releases$/, query: ListReleasesQuery },
  { method: 'POST', path: /^\/v1\/subscriptions$/, body: CreateSubscriptionBody },
  { method: 'PATCH', path: /^\/v1\/subscriptions\/[^/]+$/, body: PatchSubscriptionBody },
  { method: 'GET', path: /^\/v1\/deliveries$/, query: ListDeliveriesQuery },
  { method: 'GET', path: /^\/v1\/dead-letters$/, query: ListDeadLettersQuery },
  { method: 'POST', path: /^\/v1\/dead-letters\/replay$/, body: ReplayDeadLettersBody },
  { method: 'POST', path: /^\/v1\/dead-letters\/redrive$/, body: RedriveDeadLettersBody },
  { method: 'DELETE', path: /^\/v1\/nodes\/[^/]+$/, query: RemoveNodeQuery },
  { method: 'GET', path: /^\/v1\/rollouts$/, query: ListRolloutsQuery },
  { method: 'POST', path: /^\/v1\/rollouts$/, body: CreateRolloutBody },
  { method: 'POST', path: /^\/v1\/rollbacks$/, body: CreateRollbackBody },
  { method: 'POST', path: /^\/v1\/locks\/[^/]+\/release$/, body: ReleaseLockBody },
  { method: 'GET', path: /^\/v1\/backups$/, query: ListBackupsQuery },
  { method: 'POST', path: /^\/v1\/backups$/, body: CreateBackupBody },
  { method: 'POST', path: /^\/v1\/backups\/prune$/, body: PruneBackupsBody },
  { method: 'POST', path: /^\/v1\/backups\/[^/]+\/restore$/, body: RestoreBackupBody },
  { method: 'POST', path: /^\/v1\/tokens$/, body: CreateTokenBody },
  { method: 'PUT', path: /^\/v1\/policy$/, body: PutPolicyBody },
  { method: 'PATCH', path: /^\/v1\/policy$/, body: PatchPolicyBody },
  { method: 'POST', path: /^\/v1\/updates\/[^/]+\/[^/]+\/approve$/, body: ApproveUpdateBody },
  { method: 'POST', path: /^\/v1\/updates\/[^/]+\/[^/]+\/reject$/, body: RejectUpdateBody },
  { method: 'POST', path: /^\/v1\/holds$/, body: CreateHoldBody },
  { method: 'DELETE', path: /^\/v1\/holds\/[^/]+$/, query: ReleaseHoldQuery },
  { method: 'POST', path: /^\/v1\/schedules$/, body: CreateScheduleBody },
  { method: 'PATCH', path: /^\/v1\/schedules\/[^/]+$/, body: SetEnabledBody },
  { method: 'POST', path: /^\/v1\/windows$/, body: CreateWindowBody },
  { method: 'PATCH', path: /^\/v1\/windows\/[^/]+$/, body: SetEnabledBody },
];

/** Why the API would answer 400 to a request (worded like the API); undefined when it would accept it. */
export function apiRefusal(req: SentRequest): string | undefined {
  const url = new URL(req.url);
  const route = API_REQUESTS.find((r) => r.method === req.method && r.path.test(url.pathname));
  const parts: Array<[string, z.ZodType | undefined, unknown]> = [
    ['request body', route?.body, req.body ?? {}],
    ['query', route?.query, Object.fromEntries(url.searchParams)],
  ];
  for (const [part, schema, value] of parts) {
    const parsed = schema?.safeParse(value);
    if (parsed && !parsed.success) return `invalid ${part}: ${formatIssues(parsed.error, { schema })}`;
  }
  return undefined;
}

/** What a spec observes and controls around `run`. */
export interface FakeApiHooks {
  /** Records the request and answers it (only requests the API would accept get here). */
  onRequest(req: SentRequest): Response;
  stdout(text: string): void;
  stderr(text: string): void;
  /** The CLI's sleep (waiting between polls) on the spec's clock. */
  sleep(ms: number): void;
  now(): number;
}

/**
 * `lockstep …` through `run`, against a fake API answering from the spec's hooks (120 columns;
 * a TTY when asked). As the real API, it answers 401 to a request without a bearer token (the
 * CLI sends {@link FAKE_API_TOKEN} unless `env` says otherwise), and 400 to a request the real
 * API would refuse, so a CLI that drifts from the API's contracts fails its specs.
 */
export function fakeApiCli(env: Record<string, string>, hooks: FakeApiHooks) {
  return (argv: string[], options: { tty?: boolean } = {}) =>
    run(argv, {
      io: { stdout: hooks.stdout, stderr: hooks.stderr, isTty: options.tty ?? false, columns: 120 },
      env: { LOCKSTEP_TOKEN: FAKE_API_TOKEN, ...env },
      fetch: (async (url: string, init: RequestInit) => {
        const req = {
          method: String(init.method),
          url: String(url),
          body: typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined,
        };
        const auth = new Headers(init.headers).get('authorization');
        if (!auth?.startsWith('Bearer lst_'))
          return problemResponse(401, ApiErrorCode.TokenMissing, 'this route needs an API token');
        const refused = apiRefusal(req);
        if (refused) return problemResponse(400, ApiErrorCode.InvalidRequest, refused);
        return hooks.onRequest(req);
      }) as unknown as typeof fetch,
      sleep: async (ms) => hooks.sleep(ms),
      now: () => hooks.now(),
    });
}

/** What a {@link recordingCli} saw: the requests sent, stdout and stderr; `answer` answers each request. */
export interface CliRecording {
  sent: SentRequest[];
  out: string;
  err: string;
  answer: (req: SentRequest) => Response;
}

/**
 * `lockstep …` against the fake API at http://api.test, recording what it sent and printed, on a
 * clock standing at `now`. `reset()` (before each test) forgets everything and answers `{}`.
 */
export function recordingCli(now = 0) {
  const seen: CliRecording = { sent: [], out: '', err: '', answer: () => jsonResponse(200, {}) };
  const lockstep = fakeApiCli(
    { LOCKSTEP_API_URL: 'http://api.test' },
    {
      onRequest: (req) => (seen.sent.push(req), seen.answer(req)),
      stdout: (t) => void (seen.out += t),
      stderr: (t) => void (seen.err += t),
      sleep: () => undefined,
      now: () => now,
    },
  );
  const reset = () => Object.assign(seen, { sent: [], out: '', err: '', answer: () => jsonResponse(200, {}) });
  return { lockstep, seen, reset };
}
