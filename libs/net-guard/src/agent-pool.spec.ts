import { Agent as HttpsAgent } from 'node:https';
import { AgentPool, pinnedLookup } from './agent-pool';
import { AllowList } from './allow-list';
import { checkDestination, type CheckedDestination } from './destination-guard';

const resolveTo = (address: string) => async () => [{ address, family: address.includes(':') ? 6 : 4 }];
const dest = (url: string, address = '93.184.216.34'): Promise<CheckedDestination> =>
  checkDestination(url, AllowList.none(), resolveTo(address));

describe(AgentPool.name, () => {
  let sut: AgentPool;
  beforeEach(() => (sut = new AgentPool({ maxAgents: 2 })));
  afterEach(() => sut.destroy());

  it('shares one keep-alive agent per origin and address', async () => {
    const a = sut.agentFor(await dest('http://hooks.example.com/a'));
    const b = sut.agentFor(await dest('http://hooks.example.com/b?x=1'));

    expect(b).toBe(a);
    expect(sut.size).toBe(1);
    expect((a as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
  });

  it.each([
    ['another address', 'http://hooks.example.com/', '93.184.216.35'],
    ['another port', 'http://hooks.example.com:8080/', '93.184.216.34'],
    ['another scheme', 'https://hooks.example.com/', '93.184.216.34'],
  ])('uses a separate agent for %s', async (_name, url, address) => {
    const first = sut.agentFor(await dest('http://hooks.example.com/'));

    const other = sut.agentFor(await dest(url, address));

    expect(other).not.toBe(first);
  });

  it('uses an https agent for https destinations', async () => {
    expect(sut.agentFor(await dest('https://hooks.example.com/'))).toBeInstanceOf(HttpsAgent);
  });

  it('retires the least recently used agent beyond maxAgents', async () => {
    const one = await dest('http://one.example.com/');
    const two = await dest('http://two.example.com/');
    const first = sut.agentFor(one);
    sut.agentFor(two);
    sut.agentFor(one);

    sut.agentFor(await dest('http://three.example.com/'));

    expect(sut.size).toBe(2);
    expect(sut.agentFor(one)).toBe(first);
  });
});

describe(pinnedLookup.name, () => {
  it.each([
    [{}, ['127.0.0.1', 4]],
    [{ all: true }, [[{ address: '127.0.0.1', family: 4 }]]],
  ])('answers %j with the pinned address only', (options, expected) => {
    const callback = jest.fn();

    pinnedLookup('127.0.0.1', 4)('evil.example.com', options, callback);

    expect(callback).toHaveBeenCalledWith(null, ...expected);
  });
});
