import { HealthController } from '@lockstep/platform';
import { MetricsController } from '@lockstep/telemetry';
import { API_CONTROLLERS } from '../api.module';
import { buildOpenApiDocument } from '../openapi/openapi.document';
import { neededRole, ROUTE_ACCESS, servedRouteKeys } from './route-access';

describe('ROUTE_ACCESS', () => {
  it('declares exactly the routes the API serves, the probes and the metrics included', () => {
    const served = servedRouteKeys([...API_CONTROLLERS, HealthController, MetricsController]);

    expect(Object.keys(ROUTE_ACCESS).sort()).toEqual(served);
  });

  it('leaves only the probes, the metrics and the OpenAPI document open', () => {
    const open = Object.entries(ROUTE_ACCESS)
      .filter(([, a]) => a.role === 'public')
      .map(([k]) => k);

    expect(open.sort()).toEqual(['GET /healthz', 'GET /metrics', 'GET /readyz', 'GET /v1/openapi.json']);
  });

  it('lets every read through to a viewer and no mutation', () => {
    const entries = Object.entries(ROUTE_ACCESS).filter(([, a]) => a.role !== 'public');

    for (const [key, access] of entries)
      expect([key, access.role]).toEqual([
        key,
        key.startsWith('GET ') && key !== 'GET /v1/tokens' ? 'viewer' : expect.not.stringMatching(/^viewer$/),
      ]);
  });

  it.each([
    [{ restoreData: true }, 'owner'],
    [{ restoreData: false }, 'operator'],
    [{}, 'operator'],
    [{ restoreData: 'yes' }, 'operator'],
  ])('a rollback with %j needs %s', (body, role) => {
    expect(neededRole(ROUTE_ACCESS['POST /v1/rollbacks'] as never, body)).toBe(role);
  });

  it('puts every role in the OpenAPI document, with the bearer scheme on guarded routes', () => {
    const doc = buildOpenApiDocument() as {
      paths: Record<string, Record<string, { 'x-lockstep-role': string; security: unknown[] }>>;
    };

    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        const access = ROUTE_ACCESS[`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`];
        expect([path, method, op['x-lockstep-role']]).toEqual([path, method, access.role]);
        expect(op.security).toEqual(access.role === 'public' ? [] : [{ bearerToken: [] }]);
      }
  });
});
