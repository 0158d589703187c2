import type { ComponentView } from '@lockstep/contracts';
import { nodeEntry } from '@lockstep/testing';
import { ApiModule } from './api.module';
import { ComponentsRepository } from './components/components.repository';
import { ApiError } from './http/api-error';
import { NodesRepository } from './nodes/nodes.repository';
import { startApiTestApp, type ApiTestApp } from './testing/api-test-app';
import { componentEntity as component } from './testing/component-fixtures';

/** A node's heartbeat record running demo at `version`. */
const node = (id: string, version: string, lost = false) => nodeEntry(id, { demo: version }, lost);

/** Issue 12, defect 11: components show what their nodes run, from the node directory. */
describe(`${ApiModule.name} components with their fleet`, () => {
  let app: ApiTestApp;
  const components = { list: jest.fn(), find: jest.fn() };
  const nodes = { list: jest.fn() };
  const call = (method: string, path: string) => app.call(method, path);

  beforeAll(async () => {
    app = await startApiTestApp({
      send: jest.fn(),
      repositories: [
        [ComponentsRepository, components],
        [NodesRepository, nodes],
      ],
    });
  });
  afterAll(() => app.close());
  beforeEach(() => jest.resetAllMocks());

  it('shows with each component what its nodes run: live nodes per version, newest first, lost ones apart', async () => {
    components.list.mockResolvedValue([{ component: component({ currentVersion: '1.1.0' }), state: null }]);
    nodes.list.mockResolvedValue([
      node('n1', '1.2.0'),
      node('n2', '1.1.0'),
      node('n3', '1.2.0'),
      node('n4', '1.0.0', true),
    ]);

    const res = await call('GET', '/v1/components');

    expect(res.status).toBe(200);
    const [demo] = res.body.items as ComponentView[];
    expect(demo).toMatchObject({ currentVersion: '1.1.0', fleet: { nodes: 3, lost: 1 } });
    expect(demo.fleet!.versions.map((v) => `${v.version} on ${v.nodes}`)).toEqual(['1.2.0 on 2', '1.1.0 on 1']);
  });

  it('shows one component by name, and answers 404 for one not registered', async () => {
    components.find.mockImplementation(async (name: string) =>
      name === 'demo' ? { component: component(), state: null } : null,
    );
    nodes.list.mockResolvedValue([node('n1', '1.0.0')]);

    const found = await call('GET', '/v1/components/demo');
    const missing = await call('GET', '/v1/components/nope');

    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({
      name: 'demo',
      currentVersion: '1.0.0',
      fleet: { nodes: 1, lost: 0, versions: [{ version: '1.0.0', nodes: 1 }] },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toMatch(/component nope is not registered/);
  });

  it('still lists components when the node directory cannot be read, with fleet null', async () => {
    components.list.mockResolvedValue([{ component: component(), state: null }]);
    nodes.list.mockRejectedValue(ApiError.unavailable('the API cannot read the node directory'));

    const res = await call('GET', '/v1/components');

    expect(res.status).toBe(200);
    expect(res.body.items[0]).toMatchObject({ name: 'demo', fleet: null });
  });
});
