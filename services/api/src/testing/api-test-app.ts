import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import type { AuditActor } from '@lockstep/contracts';
import { QueryClient } from '@lockstep/messaging';
import { API_CONFIG, apiSchema } from '../api.config';
import { API_CONTROLLERS, API_PROVIDERS } from '../api.module';
import { AuditRepository } from '../audit/audit.repository';
import { BackupsRepository } from '../backups/backups.repository';
import { ComponentsRepository } from '../components/components.repository';
import { DeliveriesRepository } from '../deliveries/deliveries.repository';
import { setRequestActor } from '../http/request-actor';
import { LockAuditRepository } from '../locks/lock-audit.repository';
import { LocksRepository } from '../locks/locks.repository';
import { NodesRepository } from '../nodes/nodes.repository';
import { ReleasesRepository } from '../releases/releases.repository';
import { RolloutsRepository } from '../rollouts/rollouts.repository';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository';

/** Every repository of the API: the I/O a spec replaces (those it does not name become empty fakes). */
const REPOSITORIES: unknown[] = [
  ComponentsRepository,
  ReleasesRepository,
  SubscriptionsRepository,
  DeliveriesRepository,
  NodesRepository,
  RolloutsRepository,
  LocksRepository,
  LockAuditRepository,
  BackupsRepository,
  AuditRepository,
];

/**
 * TEMPORARY, until the auth guard is merged: the identity every request of the test app acts
 * as. `useTestActorUntilAuthGuard` sets it on each request the way the guard will; delete both
 * once the guard (which authenticates real tokens) runs in the test app.
 */
export const TEST_ACTOR: AuditActor = {
  kind: 'token',
  id: 'tok_test_owner',
  name: 'test-owner',
  role: 'owner',
  components: null,
  source: '127.0.0.1',
};

/** TEMPORARY (see {@link TEST_ACTOR}): Express middleware that gives every request `actor`. */
export const useTestActorUntilAuthGuard =
  (actor: AuditActor) =>
  (req: Parameters<typeof setRequestActor>[0], _res: unknown, next: () => void): void => {
    setRequestActor(req, actor);
    next();
  };

/** One HTTP exchange with the app under test. */
export interface ApiTestResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- specs read whatever JSON the route answered
  body: any;
  text: string;
}

/** The API's controllers and providers on a loopback port, with I/O replaced by fakes (for HTTP-level specs). */
export interface ApiTestApp {
  base: string;
  /** Sends a request; `raw` is sent as the JSON body unparsed (for bad-JSON cases). */
  call(method: string, path: string, body?: unknown, raw?: string): Promise<ApiTestResponse>;
  close(): Promise<void>;
}

/**
 * Boots every API controller with the real services, the query client replaced by `send`
 * and each repository replaced by its fake from `repositories` (an empty object when not
 * given). Settings come from the API schema's defaults plus `config`.
 */
export async function startApiTestApp(options: {
  send: QueryClient['send'];
  repositories: Array<[token: unknown, fake: unknown]>;
  config?: Record<string, string>;
  /** Who every request acts as (default {@link TEST_ACTOR}); temporary, until the auth guard. */
  actor?: AuditActor;
}): Promise<ApiTestApp> {
  let builder = Test.createTestingModule({
    controllers: API_CONTROLLERS,
    providers: [{ provide: API_CONFIG, useValue: apiSchema.parse(options.config ?? {}) }, ...API_PROVIDERS],
  })
    .overrideProvider(QueryClient)
    .useValue({ send: options.send, close: async () => undefined });
  const fakes = new Map<unknown, unknown>([
    ...REPOSITORIES.map((r): [unknown, unknown] => [r, {}]),
    ...options.repositories,
  ]);
  for (const [token, fake] of fakes) builder = builder.overrideProvider(token).useValue(fake);
  const app: INestApplication = (await builder.compile()).createNestApplication({ logger: false });
  app.use(useTestActorUntilAuthGuard(options.actor ?? TEST_ACTOR));
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  return {
    base,
    async call(method, path, body, raw) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: body !== undefined || raw ? { 'content-type': 'application/json' } : {},
        body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
    },
    close: () => app.close(),
  };
}
