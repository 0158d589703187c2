import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ChannelIds, UnknownNotificationChannelError } from './notification-channel';
import { findChannel, getChannel, NotificationChannels } from './registry';

describe('NotificationChannels', () => {
  const folders = readdirSync(__dirname, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

  it('lists exactly the plugin folders, and ChannelIds names the same set', () => {
    expect(Object.keys(NotificationChannels).sort()).toEqual(folders);
    expect(Object.values(ChannelIds).sort()).toEqual(folders);
  });

  it.each(folders)('registers the channel exported by %s/index.ts under its folder name', (folder) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the folder name is only known at run time
    const exported = Object.values(require(join(__dirname, folder, 'index.ts')) as Record<string, unknown>);

    const sut = getChannel(folder);

    expect(sut.id).toBe(folder);
    expect(exported).toContain(sut);
  });

  it.each(['sms', 'toString', '__proto__'])('knows no channel %j', (id) => {
    expect(findChannel(id)).toBeUndefined();
    expect(() => getChannel(id)).toThrow(UnknownNotificationChannelError);
  });
});
