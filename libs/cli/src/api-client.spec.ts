import { ApiClient, ApiRequestError, ApiUnreachableError, resolveApiUrl } from './api-client';
import { UsageError } from './errors';

const reply = (status: number, body: unknown) => async () =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

describe(resolveApiUrl.name, () => {
  it.each([
    [undefined, {}, 'http://127.0.0.1:8080'],
    [undefined, { LOCKSTEP_API_URL: 'http://api:9000/' }, 'http://api:9000'],
    ['https://lockstep.example.com', { LOCKSTEP_API_URL: 'http://ignored' }, 'https://lockstep.example.com'],
  ])('--api %p with %j -> %s', (flag, env, expected) => {
    expect(resolveApiUrl(flag, env)).toBe(expected);
  });

  it.each(['not a url', 'ftp://x'])('refuses %s as a usage error', (flag) => {
    expect(() => resolveApiUrl(flag, {})).toThrow(UsageError);
  });
});

describe(ApiClient.name, () => {
  it('sends JSON and returns the parsed answer', async () => {
    const fetchImpl = jest.fn(reply(200, { items: [1] }));
    const sut = new ApiClient('http://api', fetchImpl);

    const result = await sut.get('/v1/deliveries', { status: 'dead', limit: 5, subscription: undefined });

    expect(result).toEqual({ items: [1] });
    expect(fetchImpl).toHaveBeenCalledWith(
      'http://api/v1/deliveries?status=dead&limit=5',
      expect.objectContaining({ method: 'GET' }),
    );
  });

  it("turns an error answer into ApiRequestError with the server's code and message", async () => {
    const sut = new ApiClient(
      'http://api',
      reply(502, { code: 'SERVICE_UNAVAILABLE', detail: 'the notifier is not running' }),
    );

    const act = sut.post('/v1/subscriptions', {});

    await expect(act).rejects.toThrow(ApiRequestError);
    await expect(act).rejects.toMatchObject({
      status: 502,
      code: 'SERVICE_UNAVAILABLE',
      message: 'the notifier is not running',
      exitCode: 1,
    });
  });

  it('says the API is not a Lockstep API when the answer has no error body', async () => {
    const sut = new ApiClient('http://api', reply(404, 'nope'));

    await expect(sut.get('/v1/components')).rejects.toThrow(/answered 404.*is http:\/\/api a Lockstep API\?/);
  });

  it('says how to reach the API when the connection is refused', async () => {
    const refused = async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    };
    const sut = new ApiClient('http://127.0.0.1:1', refused);

    const act = sut.get('/v1/components');

    await expect(act).rejects.toThrow(ApiUnreachableError);
    await expect(act).rejects.toThrow(
      'cannot reach the Lockstep API at http://127.0.0.1:1 (ECONNREFUSED); start it (npm run start:api) or point --api / LOCKSTEP_API_URL at it',
    );
  });

  it('resolves a 204 to undefined', async () => {
    const sut = new ApiClient('http://api', reply(204, undefined));

    await expect(sut.delete('/v1/subscriptions/x')).resolves.toBeUndefined();
  });
});
