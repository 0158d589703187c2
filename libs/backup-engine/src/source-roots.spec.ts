import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupEngineError } from './errors';
import { isUnder, resolveRoots, sumFileBytes, validatePrefix } from './source-roots';

describe(validatePrefix.name, () => {
  it.each(['config', 'config/app', 'data/shared-1', 'logs/app.d'])('accepts %s', (prefix) => {
    expect(validatePrefix(prefix, 'prefix')).toBe(prefix);
  });

  it.each([
    ['', /is empty/],
    ['/etc', /starts with "\/"/],
    ['config//app', /empty segment/],
    ['config/', /empty segment/],
    ['config/../etc', /"\." or "\.\." segment/],
    ['./config', /"\." or "\.\." segment/],
    ['a\\b', /backslash/],
  ])('refuses %j', (prefix, reason) => {
    const act = () => validatePrefix(prefix, 'backup root prefix');

    expect(act).toThrow(BackupEngineError);
    expect(act).toThrow(reason);
    expect(act).toThrow(/Use slash-separated names like "config\/app"/);
  });
});

describe(isUnder.name, () => {
  it.each([
    ['config/app/x', 'config', true],
    ['config', 'config', true],
    ['configs/x', 'config', false],
    ['data/x', 'config', false],
  ])('%s under %s -> %s', (path, prefix, expected) => {
    expect(isUnder(path, prefix)).toBe(expected);
  });
});

describe(resolveRoots.name, () => {
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'lockstep-roots-'));
    await mkdir(join(work, 'etc/app'), { recursive: true });
    await mkdir(join(work, 'srv/data/inner'), { recursive: true });
    await writeFile(join(work, 'etc/app/a.conf'), 'abc');
    await writeFile(join(work, 'etc/app/skip.log'), 'skipped');
    await writeFile(join(work, 'srv/data/inner/b.bin'), Buffer.alloc(1000));
    await writeFile(join(work, 'plain-file'), 'x');
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('resolves roots with their modes and sums their file bytes, honouring excludes', async () => {
    const roots = await resolveRoots(undefined, [
      { prefix: 'config/app', dir: join(work, 'etc/app'), excludes: ['*.log'] },
      { prefix: 'data/srv', dir: join(work, 'srv/data') },
    ]);

    const total = await sumFileBytes(roots);

    expect(roots.map((r) => [r.prefix, r.dir])).toEqual([
      ['config/app', join(work, 'etc/app')],
      ['data/srv', join(work, 'srv/data')],
    ]);
    expect(total).toBe(1003);
  });

  it('names a missing directory and the setting it came from', async () => {
    const missing = join(work, 'nope');

    const attempt = resolveRoots(undefined, [{ prefix: 'config/nope', dir: missing, setting: 'BACKUP_CONFIG_PATHS' }]);

    await expect(attempt).rejects.toMatchObject({ code: 'BACKUP_SOURCE_MISSING' });
    await expect(attempt).rejects.toThrow(
      `backup root "config/nope": directory ${missing} does not exist. Create it, or remove it from the BACKUP_CONFIG_PATHS setting.`,
    );
  });

  it.each<[string, () => Promise<unknown>, RegExp]>([
    [
      'a file as root',
      () => resolveRoots(undefined, [{ prefix: 'config/f', dir: join(work, 'plain-file') }]),
      /is not a directory/,
    ],
    [
      'nested prefixes',
      () =>
        resolveRoots(undefined, [
          { prefix: 'data', dir: join(work, 'etc') },
          { prefix: 'data/x', dir: join(work, 'srv') },
        ]),
      /backup roots "data" and "data\/x" overlap: one prefix/,
    ],
    [
      'nested directories',
      () =>
        resolveRoots(undefined, [
          { prefix: 'data/a', dir: join(work, 'srv') },
          { prefix: 'data/b', dir: join(work, 'srv/data/inner') },
        ]),
      /overlap: one directory lies inside the other/,
    ],
    [
      'source and sources together',
      () => resolveRoots(work, [{ prefix: 'data/a', dir: work }]),
      /either `source`.*or `sources`/,
    ],
    [
      'a missing single source',
      () => resolveRoots(join(work, 'gone'), undefined),
      /backup source directory .*gone does not exist/,
    ],
  ])('refuses %s', async (_name, act, message) => {
    await expect(act()).rejects.toThrow(message);
  });
});
