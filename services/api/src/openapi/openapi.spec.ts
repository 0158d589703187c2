import { RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { API_CONTROLLERS } from '../api.module';
import { buildOpenApiDocument, ROUTES } from './openapi.document';

/** Every route the controllers serve, as `METHOD /path/{param}` with its success status. */
function servedRoutes(): string[] {
  const out: string[] = [];
  for (const controller of API_CONTROLLERS) {
    const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const proto = controller.prototype as unknown as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const handler = proto[name];
      if (
        name === 'constructor' ||
        typeof handler !== 'function' ||
        Reflect.getMetadata(METHOD_METADATA, handler) === undefined
      )
        continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number].toLowerCase();
      const sub = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
      const path = `/${[prefix, sub].filter((p) => p && p !== '/').join('/')}`.replace(/:(\w+)/g, '{$1}');
      const status =
        (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? (method === 'post' ? 201 : 200);
      out.push(`${method} ${path} ${status}`);
    }
  }
  return out.sort();
}

describe(buildOpenApiDocument.name, () => {
  it('documents exactly the routes the controllers serve, with their success status', () => {
    const documented = ROUTES.map((r) => `${r.method} ${r.path} ${r.status}`).sort();

    expect(documented).toEqual(servedRoutes());
  });

  it('is an OpenAPI 3.1 document whose operations all have ids, responses and an error schema', () => {
    const sut = buildOpenApiDocument() as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
    };

    const operations = Object.values(sut.paths).flatMap((p) => Object.values(p));
    expect(sut.openapi).toBe('3.1.0');
    expect(operations).toHaveLength(ROUTES.length);
    expect(new Set(operations.map((o) => o.operationId)).size).toBe(ROUTES.length);
    for (const o of operations)
      expect(o.responses['400']).toEqual(
        expect.objectContaining({
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Error' } } },
        }),
      );
  });

  it('describes request bodies and query parameters from the validation schemas', () => {
    const sut = buildOpenApiDocument() as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: Array<{ name: string; required: boolean; schema: Record<string, unknown> }>;
            requestBody?: { content: { 'application/json': { schema: { required?: string[] } } } };
          }
        >
      >;
    };

    const create = sut.paths['/v1/subscriptions'].post.requestBody!.content['application/json'].schema;
    const listDeliveries = sut.paths['/v1/deliveries'].get.parameters!;
    expect(create.required).toEqual(expect.arrayContaining(['name', 'channel', 'target']));
    expect(listDeliveries.map((p) => [p.name, p.required])).toEqual([
      ['subscription', false],
      ['status', false],
      ['event', false],
      ['limit', false],
    ]);
    expect(listDeliveries.find((p) => p.name === 'limit')!.schema).toMatchObject({
      minimum: 1,
      maximum: 200,
      default: 50,
    });
  });

  it('documents the rollout, node and lock operations: dry-run status, scheduler errors, the release confirmation', () => {
    type Op = {
      responses: Record<string, { description: string }>;
      requestBody?: {
        content: { 'application/json': { schema: { required?: string[]; properties: Record<string, unknown> } } };
      };
    };
    const sut = buildOpenApiDocument() as { paths: Record<string, Record<string, Op>> };

    const create = sut.paths['/v1/rollouts'].post;
    const release = sut.paths['/v1/locks/{key}/release'].post;
    expect(Object.keys(create.responses).sort()).toEqual([
      '200',
      '201',
      '400',
      '401',
      '403',
      '404',
      '409',
      '421',
      '500',
      '502',
      '504',
    ]);
    expect(create.responses['504'].description).toMatch(/\(the scheduler\)$/);
    expect(create.requestBody!.content['application/json'].schema.required).toEqual(['component', 'version']);
    expect(release.requestBody!.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['token', 'reason', 'confirm']),
    );
    expect(release.requestBody!.content['application/json'].schema.properties.confirm).toEqual({
      type: 'boolean',
      const: true,
      description: expect.any(String),
    });
    expect(Object.keys(sut.paths['/v1/nodes'].get.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '421',
      '500',
      '502',
    ]);
  });
});

describe('backup routes in the OpenAPI document', () => {
  type Op = {
    parameters?: Array<{ name: string; required: boolean; schema: Record<string, unknown> }>;
    responses: Record<string, unknown>;
    requestBody?: {
      content: {
        'application/json': { schema: { required?: string[]; properties: Record<string, { description?: string }> } };
      };
    };
  };
  const sut = buildOpenApiDocument() as { paths: Record<string, Record<string, Op>> };

  it('answers 202 with the operation for every queued operation, 409 where state or name can refuse', () => {
    const statuses = (path: string) => Object.keys(sut.paths[path].post.responses).sort();

    expect(statuses('/v1/backups')).toEqual(['202', '400', '401', '403', '409', '421', '500']);
    expect(statuses('/v1/backups/prune')).toEqual(['202', '400', '401', '403', '421', '500']);
    expect(statuses('/v1/backups/{id}/verify')).toEqual(['202', '400', '401', '403', '404', '409', '421', '500']);
    expect(statuses('/v1/backups/{id}/restore')).toEqual(['202', '400', '401', '403', '404', '409', '421', '500']);
  });

  it('describes the list filters with their defaults and the restore body with its confirmation', () => {
    const list = sut.paths['/v1/backups'].get.parameters!;
    const restore = sut.paths['/v1/backups/{id}/restore'].post.requestBody!.content['application/json'].schema;

    expect(list.map((p) => [p.name, p.required])).toEqual([
      ['type', false],
      ['status', false],
      ['node', false],
      ['since', false],
      ['sort', false],
      ['limit', false],
    ]);
    expect(list.find((p) => p.name === 'limit')!.schema).toMatchObject({ minimum: 1, maximum: 50, default: 20 });
    expect(list.find((p) => p.name === 'since')!.schema).toMatchObject({
      enum: ['7d', '30d', '90d', 'all'],
      default: 'all',
    });
    expect(restore.required).toEqual(['what']);
    expect(restore.properties.confirm.description).toMatch(/must be true/);
  });
});
