import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { systemActor, type CreateTokenBody } from '@lockstep/contracts';
import { QueryClient } from '@lockstep/messaging';
import type { DataSource } from 'typeorm';
import { API_CONFIG, apiSchema } from '../api.config';
import { API_CONTROLLERS, API_PROVIDERS } from '../api.module';
import { AuditRepository } from '../audit/audit.repository';
import { BackupsRepository } from '../backups/backups.repository';
import { ComponentsRepository } from '../components/components.repository';
import { OutboxDeadLettersRepository } from '../dead-letters/outbox-dead-letters.repository';
import { DeliveriesRepository } from '../deliveries/deliveries.repository';
import { AccessTargetsRepository } from '../http/access-targets.repository';
import { LockAuditRepository } from '../locks/lock-audit.repository';
import { LocksRepository } from '../locks/locks.repository';
import { NodesRepository } from '../nodes/nodes.repository';
import { PolicyRepository } from '../policy/policy.repository';
import { ReleasesRepository } from '../releases/releases.repository';
import { RolloutsRepository } from '../rollouts/rollouts.repository';
import { SchedulesRepository } from '../schedules/schedules.repository';
import { SettingsRepository } from '../settings/settings.repository';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository';
import { TokensRepository } from '../tokens/tokens.repository';
import { TokensService } from '../tokens/tokens.service';
import { UpdateDecisionsRepository } from '../updates/update-decisions.repository';
import { InMemoryTokensRepository } from './in-memory-tokens.repository';

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
  OutboxDeadLettersRepository,
  PolicyRepository,
  UpdateDecisionsRepository,
  SchedulesRepository,
  SettingsRepository,
];

/** One HTTP exchange with the app under test. */
export interface ApiTestResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- specs read whatever JSON the route answered
  body: any;
  text: string;
  /** Response headers, lower-case names. */
  headers: Record<string, string>;
}

/** The API's controllers and providers on a loopback port, with I/O replaced by fakes (for HTTP-level specs). */
export interface ApiTestApp {
  base: string;
  /** An owner token made at start; {@link call} sends it. */
  ownerToken: string;
  /** Sends a request as the owner; `raw` is sent as the JSON body unparsed (for bad-JSON cases). */
  call(method: string, path: string, body?: unknown, raw?: string): Promise<ApiTestResponse>;
  /** Sends a request with the given headers only (no token unless `authorization` is among them). */
  send(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<ApiTestResponse>;
  /** Issues a token through the tokens service (as the system), answering the token string. */
  issueToken(body: CreateTokenBody): Promise<string>;
  close(): Promise<void>;
}

/**
 * Boots every API controller with the real services and access guard, the query client
 * replaced by `send` and each repository replaced by its fake from `repositories` (an empty
 * object when not given). Tokens live in memory, or in Postgres when `database` is given
 * (then the access guard also looks rollouts and backups up there). Settings come from the
 * API schema's defaults plus `config`.
 */
export async function startApiTestApp(options: {
  send: QueryClient['send'];
  repositories: Array<[token: unknown, fake: unknown]>;
  config?: Record<string, string>;
  database?: DataSource;
}): Promise<ApiTestApp> {
  let builder = Test.createTestingModule({
    controllers: API_CONTROLLERS,
    providers: [{ provide: API_CONFIG, useValue: apiSchema.parse(options.config ?? {}) }, ...API_PROVIDERS],
  })
    .overrideProvider(QueryClient)
    .useValue({ send: options.send, close: async () => undefined });
  const ds = options.database;
  const fakes = new Map<unknown, unknown>([
    ...REPOSITORIES.map((r): [unknown, unknown] => [r, {}]),
    [TokensRepository, ds ? new TokensRepository(ds) : new InMemoryTokensRepository()],
    [
      AccessTargetsRepository,
      ds ? new AccessTargetsRepository(ds) : { rolloutComponent: async () => null, backupOwner: async () => null },
    ],
    ...options.repositories,
  ]);
  for (const [token, fake] of fakes) builder = builder.overrideProvider(token).useValue(fake);
  const app: INestApplication = (await builder.compile()).createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const tokens = app.get(TokensService);
  const issueToken = async (body: CreateTokenBody) => (await tokens.create(body, systemActor('test'))).token;
  const ownerToken = await issueToken({ name: 'test-owner', role: 'owner' });
  const exchange = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
    const res = await fetch(`${base}${path}`, { method, headers, body });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? JSON.parse(text) : undefined,
      text,
      headers: Object.fromEntries(res.headers),
    };
  };
  return {
    base,
    ownerToken,
    call: (method, path, body, raw) =>
      exchange(
        method,
        path,
        {
          authorization: `Bearer ${ownerToken}`,
          ...(body !== undefined || raw ? { 'content-type': 'application/json' } : {}),
        },
        raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      ),
    send: (method, path, o = {}) =>
      exchange(
        method,
        path,
        { ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers },
        o.body === undefined ? undefined : JSON.stringify(o.body),
      ),
    issueToken,
    close: () => app.close(),
  };
}
