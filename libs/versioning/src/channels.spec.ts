import type { Channel } from '@lockstep/contracts';
import { channelAccepts } from './channels';
import { UnknownReleaseChannelError } from './errors';

describe(channelAccepts.name, () => {
  it.each<[Channel, Channel, boolean, boolean]>([
    ['stable', 'stable', false, true],
    ['stable', 'stable', true, false],
    ['stable', 'beta', false, false],
    ['stable', 'beta', true, false],
    ['stable', 'alpha', false, false],
    ['stable', 'alpha', true, false],
    ['beta', 'stable', false, true],
    ['beta', 'stable', true, true],
    ['beta', 'beta', false, true],
    ['beta', 'beta', true, true],
    ['beta', 'alpha', false, false],
    ['beta', 'alpha', true, false],
    ['alpha', 'stable', false, true],
    ['alpha', 'stable', true, true],
    ['alpha', 'beta', true, true],
    ['alpha', 'alpha', false, true],
    ['alpha', 'alpha', true, true],
  ])('a %s subscriber, a %s release, prerelease=%s: %s', (subscriber, release, isPrerelease, expected) => {
    const result = channelAccepts(subscriber, release, isPrerelease);

    expect(result).toBe(expected);
  });

  it.each([
    ['nightly', 'stable'],
    ['stable', 'nightly'],
    ['alpha', 'Stable'],
  ])('throws for unknown channels (%s sees %s)', (subscriber, release) => {
    const act = () => channelAccepts(subscriber as Channel, release as Channel, false);

    expect(act).toThrow(UnknownReleaseChannelError);
    expect(act).toThrow('use one of: stable, beta, alpha');
  });
});
