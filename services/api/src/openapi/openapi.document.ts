import { z } from 'zod';
import {
  ApiErrorBody,
  CheckResults,
  ComponentNameParam,
  ComponentView,
  CreateSubscriptionBody,
  DeadLetterReplayReplyV1,
  SecretsRotateReplyV1,
  DeliveryView,
  ListDeadLettersQuery,
  DeadLetterRedriveReplyV1,
  DeadLetterDiscardReplyV1,
  DeadLetterList,
  DiscardDeadLetterBody,
  RedriveDeadLettersBody,
  ListDeliveriesQuery,
  ListReleasesQuery,
  listOf,
  PatchSubscriptionBody,
  PostChecksBody,
  PROBLEM_CONTENT_TYPE,
  PutComponentBody,
  ReleaseView,
  ReplayDeadLettersBody,
  SubscriptionId,
  SubscriptionUpsertReplyV1,
  SubscriptionViewV1,
} from '@lockstep/contracts';
import { ROUTE_ACCESS } from '../http/route-access';
import { AUDIT_ROUTES } from './audit-routes';
import { BACKUP_ROUTES } from './backup-routes';
import { FLEET_ROUTES } from './fleet-routes';
import { POLICY_ROUTES } from './policy-routes';
import { SCHEDULE_ROUTES } from './schedule-routes';
import { SETTING_ROUTES } from './setting-routes';
import { TOKEN_ROUTES } from './token-routes';
import { UPDATE_DECISION_ROUTES } from './update-decision-routes';

/** One documented operation; the spec checks these against the controllers' routes. */
export interface RouteDoc {
  method: 'get' | 'put' | 'post' | 'patch' | 'delete';
  /** OpenAPI path, e.g. `/v1/components/{name}`. */
  path: string;
  operationId: string;
  summary: string;
  pathParams?: Record<string, z.ZodType>;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Success status and its body schema (none for 204). */
  status: number;
  response?: z.ZodType;
  /** Error statuses this operation can answer besides 400 and 500. */
  errors?: number[];
  /** Another success status with the same body, and when it is answered (e.g. 200 for a dry run). */
  alsoStatus?: { status: number; description: string };
  /** Which service answers over NATS (adds 502/504). */
  via?: 'checker' | 'notifier' | 'scheduler';
  /** Read directly from NATS (JetStream KV): adds 502 when NATS cannot be read. */
  readsNats?: boolean;
}

/** Every REST operation of the API. */
export const ROUTES: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/components',
    operationId: 'listComponents',
    summary:
      'Components with their source settings (pinned root as a sha256 fingerprint), last check, and what their nodes run (fleet)',
    status: 200,
    response: listOf(ComponentView),
  },
  {
    method: 'get',
    path: '/v1/components/{name}',
    operationId: 'getComponent',
    summary: 'One component, with the version it counts as running and what its nodes run (fleet)',
    pathParams: { name: ComponentNameParam },
    status: 200,
    response: ComponentView,
    errors: [404],
  },
  {
    method: 'put',
    path: '/v1/components/{name}',
    operationId: 'upsertComponent',
    summary:
      'Register or update a component (validated by the checker; requirements that name an unregistered component or close a cycle are refused, naming it)',
    pathParams: { name: ComponentNameParam },
    body: PutComponentBody,
    status: 200,
    response: ComponentView,
    via: 'checker',
  },
  {
    method: 'post',
    path: '/v1/checks',
    operationId: 'checkNow',
    summary: 'Check one component (or all) for new releases now',
    body: PostChecksBody,
    status: 200,
    response: CheckResults,
    errors: [404],
    via: 'checker',
  },
  {
    method: 'get',
    path: '/v1/releases',
    operationId: 'listReleases',
    summary: 'Releases announced with release.available, newest first',
    query: ListReleasesQuery,
    status: 200,
    response: listOf(ReleaseView),
  },
  {
    method: 'get',
    path: '/v1/subscriptions',
    operationId: 'listSubscriptions',
    summary: 'Subscriptions; secrets are counted, Slack/Discord URL tokens masked',
    status: 200,
    response: listOf(SubscriptionViewV1),
  },
  {
    method: 'post',
    path: '/v1/subscriptions',
    operationId: 'createSubscription',
    summary: 'Create a subscription; a generated webhook secret is returned this once',
    body: CreateSubscriptionBody,
    status: 201,
    response: SubscriptionUpsertReplyV1,
    via: 'notifier',
  },
  {
    method: 'patch',
    path: '/v1/subscriptions/{id}',
    operationId: 'updateSubscription',
    summary: 'Change name, target (merged), event filters or enabled',
    pathParams: { id: SubscriptionId },
    body: PatchSubscriptionBody,
    status: 200,
    response: SubscriptionUpsertReplyV1,
    errors: [404],
    via: 'notifier',
  },
  {
    method: 'delete',
    path: '/v1/subscriptions/{id}',
    operationId: 'deleteSubscription',
    summary: 'Delete a subscription',
    pathParams: { id: SubscriptionId },
    status: 204,
    errors: [404],
    via: 'notifier',
  },
  {
    method: 'get',
    path: '/v1/deliveries',
    operationId: 'listDeliveries',
    summary: 'Delivery log with every attempt, newest first',
    query: ListDeliveriesQuery,
    status: 200,
    response: listOf(DeliveryView),
  },
  {
    method: 'get',
    path: '/v1/dead-letters',
    operationId: 'listDeadLetters',
    summary:
      'Every kind of dead letter, oldest first: dead deliveries, DEAD_LETTERS stream messages (with the service that gave up), outbox rows NATS could never take',
    query: ListDeadLettersQuery,
    status: 200,
    response: DeadLetterList,
    via: 'scheduler',
  },
  {
    method: 'post',
    path: '/v1/dead-letters/replay',
    operationId: 'replayDeadLetters',
    summary: 'Re-queue one dead delivery, those of a subscription, or (empty body) all',
    body: ReplayDeadLettersBody,
    status: 200,
    response: DeadLetterReplayReplyV1,
    via: 'notifier',
  },
  {
    method: 'post',
    path: '/v1/dead-letters/redrive',
    operationId: 'redriveDeadLetters',
    summary:
      'Publish a DEAD_LETTERS message again to its original subject (seq), put an outbox dead letter back into the outbox (outboxId), or (neither) every one of kind',
    body: RedriveDeadLettersBody,
    status: 200,
    response: DeadLetterRedriveReplyV1,
    errors: [404, 409],
    via: 'scheduler',
  },
  {
    method: 'post',
    path: '/v1/dead-letters/discard',
    operationId: 'discardDeadLetter',
    summary:
      'Drop one DEAD_LETTERS message (seq) or outbox dead letter (outboxId) for good, e.g. one no re-drive may publish (audited)',
    body: DiscardDeadLetterBody,
    status: 200,
    response: DeadLetterDiscardReplyV1,
    errors: [404],
    via: 'scheduler',
  },
  {
    method: 'post',
    path: '/v1/secrets/rotate',
    operationId: 'rotateSecrets',
    summary:
      "Re-seal every stored secret (webhook signing secrets, Slack/Discord URLs) under the notifier's current LOCKSTEP_SECRET_KEY; set the old key in LOCKSTEP_SECRET_KEY_PREVIOUS first",
    status: 200,
    response: SecretsRotateReplyV1,
    via: 'notifier',
  },
  ...FLEET_ROUTES,
  ...POLICY_ROUTES,
  ...BACKUP_ROUTES,
  ...TOKEN_ROUTES,
  ...SCHEDULE_ROUTES,
  ...AUDIT_ROUTES,
  ...UPDATE_DECISION_ROUTES,
  ...SETTING_ROUTES,
  {
    method: 'get',
    path: '/v1/openapi.json',
    operationId: 'openapi',
    summary: 'This document',
    status: 200,
    response: z.record(z.string(), z.unknown()),
  },
];

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
};

const ERROR_TEXT: Record<number, string> = {
  400: 'The request is invalid; the message names each field to fix',
  404: 'Not found',
  409: 'The current state does not allow it (another rollout is active, the rollout or backup is not in a state for this action, the backup name is taken, the policy changed since the revision the change was based on)',
  401: 'No valid token: missing, malformed, unknown, expired or revoked (send Authorization: Bearer lst_...)',
  403: "The token's role is too small, or it is narrowed to components that do not include the target",
  421: 'The Host header names a host this API does not serve (DNS rebinding guard; see API_ALLOWED_HOSTS)',
  500: 'Unexpected failure; the message carries an error id to find in the API log',
  502: 'The owning service is not running or not reachable over NATS, or it failed',
  504: 'The owning service did not answer in time',
};

/** The route's entry in the access table (`GET /v1/components/{name}` → `GET /v1/components/:name`). */
const accessOf = (r: RouteDoc) => ROUTE_ACCESS[`${r.method.toUpperCase()} ${r.path.replace(/\{(\w+)\}/g, ':$1')}`];

function operation(r: RouteDoc): Record<string, unknown> {
  const access = accessOf(r);
  const guarded = access?.role !== 'public';
  const parameters = [
    ...Object.entries(r.pathParams ?? {}).map(([name, schema]) => ({
      name,
      in: 'path',
      required: true,
      schema: jsonSchema(schema, 'input'),
    })),
    ...Object.entries(r.query?.shape ?? {}).map(([name, schema]) => ({
      name,
      in: 'query',
      required: !(schema as z.ZodType).safeParse(undefined).success,
      schema: jsonSchema(schema as z.ZodType, 'input'),
    })),
  ];
  const errors = [
    400,
    ...(guarded ? [401, 403, 421] : []),
    ...(r.errors ?? []),
    ...(r.via ? [502, 504] : r.readsNats ? [502] : []),
    500,
  ];
  const body = r.response
    ? { content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } }
    : undefined;
  const responses: Record<string, unknown> = {
    [r.status]: body ? { description: 'OK', ...body } : { description: 'Done, no content' },
    ...(r.alsoStatus ? { [r.alsoStatus.status]: { description: r.alsoStatus.description, ...body } } : {}),
  };
  for (const status of errors) {
    const text =
      status >= 502 && r.via
        ? `${ERROR_TEXT[status]} (the ${r.via})`
        : status === 502 && r.readsNats
          ? 'NATS (JetStream) cannot be read'
          : ERROR_TEXT[status];
    responses[status] = {
      description: text,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  const escalation = access?.escalate ? `; ${access.escalate.role} with ${access.escalate.field}: true` : '';
  return {
    operationId: r.operationId,
    summary: r.summary,
    ...(guarded
      ? {
          description: `Needs a token with role ${access?.role ?? 'none (undeclared: refused)'}${escalation}.`,
          security: [{ bearerToken: [] }],
        }
      : { security: [] }),
    'x-lockstep-role': access?.role ?? null,
    ...(access?.escalate ? { 'x-lockstep-escalate': access.escalate } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(r.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } }
      : {}),
    responses,
  };
}

/** Builds the OpenAPI 3.1 document from the same zod schemas the API validates with. */
export function buildOpenApiDocument(version = '0.1.0'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) (paths[r.path] ??= {})[r.method] = operation(r);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Lockstep API',
      version,
      description:
        'Operate a Lockstep control plane: components and release checks, announced releases, notification subscriptions and their delivery log, the fleet of nodes, rolling updates, the cluster lock, and backups (create, verify, restore, prune run as operations answered 202 and followed with GET /v1/backup-operations/{id}). Errors are RFC 9457 problems (`application/problem+json`: type, title, status, detail and the project error `code`).',
    },
    servers: [{ url: '/' }],
    paths,
    security: [{ bearerToken: [] }],
    components: {
      schemas: { Error: jsonSchema(ApiErrorBody, 'output') },
      securitySchemes: {
        bearerToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'lst_<id>_<secret>',
          description:
            'An API token (lockstep tokens create). Each operation names the least role it needs in x-lockstep-role: viewer < operator < owner.',
        },
      },
    },
  };
}
