import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceManager } from '../service-managers/service-manager';
import { guardStartsByBackupTargets, settleBackupTargets } from './backup-targets';

describe(settleBackupTargets.name, () => {
  let work: string;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'targets-'));
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  it('finds nothing wrong with targets that are whole', async () => {
    await mkdir(join(work, 'data'));
    await mkdir(join(work, 'config'));

    const sut = await settleBackupTargets([join(work, 'data'), join(work, 'config')]);

    expect(sut).toEqual([]);
  });

  it('names a missing target, so the app is not started without its data', async () => {
    await mkdir(join(work, 'config'));

    const sut = await settleBackupTargets([join(work, 'data'), join(work, 'config')]);

    expect(sut).toEqual([
      `backup target ${join(work, 'data')} does not exist; the app is not started without it. Create it (mkdir) if the app has no data yet, or restore it`,
    ]);
  });

  it('puts back a target a kill left missing between the two renames of a restore swap', async () => {
    // what a kill after moving the old directory aside, before moving the staged one in, leaves
    await mkdir(join(work, '.data.old-t'));
    await writeFile(join(work, '.data.old-t', 'db'), 'old');
    await mkdir(join(work, '.data.restore-t'));
    await writeFile(join(work, '.data.restore-t', 'db'), 'restored');
    await writeFile(
      join(work, '.data.swap-t.json'),
      JSON.stringify({ state: 'exchanging', staging: '.data.restore-t', old: '.data.old-t', existed: true }),
    );

    const sut = await settleBackupTargets([join(work, 'data')]);

    expect(sut).toEqual([]);
    expect(await readFile(join(work, 'data', 'db'), 'utf8')).toBe('restored');
  });

  it('names a target whose old copy an older agent left aside without a journal', async () => {
    await mkdir(join(work, '.data.old-0badc0de'));

    const sut = await settleBackupTargets([join(work, 'data')]);

    expect(sut).toHaveLength(1);
    expect(sut[0]).toMatch(/^backup target .*data: .*\.data\.old-0badc0de is left from an interrupted restore/);
  });
});

describe(guardStartsByBackupTargets.name, () => {
  let work: string;
  let calls: string[];
  let app: ServiceManager;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'targets-'));
    calls = [];
    const record = (what: string) => async () => void calls.push(what);
    app = {
      id: 'fake',
      start: record('start'),
      restart: record('restart'),
      stop: record('stop'),
      close: record('close'),
      status: async () => 'running',
    };
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  it.each(['start', 'restart'] as const)('refuses to %s the app while a backup target is missing', async (how) => {
    const sut = guardStartsByBackupTargets(app, () => [join(work, 'data')]);

    await expect(sut[how]()).rejects.toThrow(`backup target ${join(work, 'data')} does not exist`);
    expect(calls).toEqual([]);
  });

  it('starts, restarts, stops and reports the app as before while its targets are whole', async () => {
    await mkdir(join(work, 'data'));
    const sut = guardStartsByBackupTargets(app, () => [join(work, 'data')]);

    await sut.start();
    await sut.restart();
    await sut.stop();

    expect(sut.id).toBe('fake');
    expect(await sut.status()).toBe('running');
    expect(calls).toEqual(['start', 'restart', 'stop']);
  });
});
