import { Queries } from '@lockstep/contracts';
import { ApiModule } from './api.module';
import { startApiTestApp, type ApiTestApp } from './testing/api-test-app';

/** The actor the services are handed for a request sent with `app.call`: the test app's owner token. */
const TEST_ACTOR = expect.objectContaining({ kind: 'token', name: 'test-owner', role: 'owner' });

describe(`${ApiModule.name} DELETE /v1/nodes/:id`, () => {
  let app: ApiTestApp;
  const send = jest.fn();

  beforeAll(async () => {
    app = await startApiTestApp({ send, repositories: [] });
  });
  afterAll(() => app.close());
  beforeEach(() => jest.resetAllMocks());

  it.each([
    ['', false],
    ['?force=true', true],
    ['?force=false', false],
  ])('asks the scheduler to remove the node (query %s: force %s) as the request’s actor', async (query, force) => {
    const removed = {
      nodeId: 'node-2',
      lastSeenAt: '2026-01-01T00:00:00.000Z',
      wasLost: !force,
      consumerDeleted: true,
    };
    send.mockResolvedValue({ ok: true, result: removed });

    const res = await app.call('DELETE', `/v1/nodes/node-2${query}`);

    expect(res).toMatchObject({ status: 200, body: removed });
    expect(send).toHaveBeenCalledWith(
      Queries.NodeRemove,
      { nodeId: 'node-2', force, actor: TEST_ACTOR },
      expect.any(Number),
    );
  });

  it.each([
    [404, 'NOT_FOUND', 'node node-2 is not in the fleet (the node bucket holds no record for it)'],
    [409, 'NODE_ALIVE', 'node node-2 still heart-beats (last …); stop its agent … or remove it anyway with --force'],
    [409, 'NODE_IN_ROLLOUT', 'node node-2 is part of rollout r (demo → 1.1.0), which is running; …'],
  ])("answers %i for the scheduler's %s with its message", async (status, code, message) => {
    send.mockResolvedValue({ ok: false, error: { code, message } });

    const res = await app.call('DELETE', '/v1/nodes/node-2');

    expect(res).toMatchObject({ status, body: { code, detail: message } });
  });

  it.each([
    ['a malformed node id', '/v1/nodes/Not_A.Node', /expected a node id/],
    ['a force that is no boolean', '/v1/nodes/node-2?force=yes', /force must be true or false/],
    ['an unknown query parameter', '/v1/nodes/node-2?forced=true', /forced/],
  ])('answers 400 for %s without asking the scheduler', async (_what, path, message) => {
    const res = await app.call('DELETE', path);

    expect(res).toMatchObject({
      status: 400,
      body: { code: 'INVALID_REQUEST', detail: expect.stringMatching(message) },
    });
    expect(send).not.toHaveBeenCalled();
  });
});
