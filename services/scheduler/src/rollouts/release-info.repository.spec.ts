import type { QueryReply, ReleaseInfoReplyV1 } from '@lockstep/contracts';
import type { QueryClient } from '@lockstep/messaging';
import type { SchedulerConfig } from '../scheduler.config';
import { ReleaseInfoRepository } from './release-info.repository';

const verified = (version: string): QueryReply<ReleaseInfoReplyV1> => ({
  ok: true,
  result: {
    component: 'demo',
    version,
    scheme: 'semver',
    artifact: { uri: `s3://b/demo-${version}.tgz`, sha256: 'a'.repeat(64), length: 1 },
  },
});

describe(ReleaseInfoRepository.name, () => {
  let send: jest.Mock;
  let now: number;

  const make = (ttlMs: number) =>
    new ReleaseInfoRepository(
      { send } as unknown as QueryClient,
      { SCHEDULER_RELEASE_INFO_TTL: ttlMs } as SchedulerConfig,
    );

  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    send = jest.fn(async (_query: string, body: { version: string }) => verified(body.version));
  });
  afterEach(() => jest.restoreAllMocks());

  it('asks the checker once per release within the TTL, sharing a query in flight, and again after it', async () => {
    const sut = make(60_000);

    const [a, b] = await Promise.all([sut.get('demo', '1.1.0'), sut.get('demo', '1.1.0')]);
    now += 59_000;
    const c = await sut.get('demo', '1.1.0');
    const other = await sut.get('demo', '1.2.0');
    now += 2_000;
    await sut.get('demo', '1.1.0');

    expect([a, b, c]).toEqual([verified('1.1.0'), verified('1.1.0'), verified('1.1.0')]);
    expect(other).toEqual(verified('1.2.0'));
    expect(send.mock.calls.map((call) => call[1].version)).toEqual(['1.1.0', '1.2.0', '1.1.0']);
  });

  it.each<[string, () => Promise<QueryReply<ReleaseInfoReplyV1>>]>([
    ['a refusal', async () => ({ ok: false, error: { code: 'RELEASE_NOT_FOUND', message: 'not published' } })],
    ['no answer', async () => Promise.reject(new Error('timeout'))],
  ])('keeps nothing after %s', async (_what, answer) => {
    const sut = make(60_000);
    send.mockImplementationOnce(answer);

    const first = await sut.get('demo', '1.1.0').catch((err: Error) => err.message);
    const second = await sut.get('demo', '1.1.0');

    expect(first).not.toEqual(verified('1.1.0'));
    expect(second).toEqual(verified('1.1.0'));
    expect(send).toHaveBeenCalledTimes(2);
  });

  it('asks every time with a TTL of 0', async () => {
    const sut = make(0);

    await sut.get('demo', '1.1.0');
    await sut.get('demo', '1.1.0');

    expect(send).toHaveBeenCalledTimes(2);
  });
});
