import type { InstallCommandV1, InstallStep } from '@lockstep/contracts';
import { buildDemoArtifact, demoAppEntries, writeTarGz } from '@lockstep/testing';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppDirectory } from '../app/app-directory';
import { unpackTarGz } from '../archive/archive-unpacker';
import { ConfigMigrator } from '../config/config-migrator';
import { AgentErrorCode, InstallStepError } from '../errors';
import { HealthGate } from '../health/health-gate';
import { MigrateHookRunner } from '../hooks/migrate-hook.runner';
import { CommandJournal } from '../journal/command-journal';
import type { ServiceManager } from '../service-managers/service-manager';
import { silentLogger } from '../support/logger';
import { InstallPipeline, type InstallPipelineDeps } from './install-pipeline';

const command = (version: string, over: Partial<InstallCommandV1> = {}): InstallCommandV1 => ({
  commandId: `cmd-${version}-${Math.random().toString(36).slice(2)}`,
  rolloutId: 'r1',
  nodeId: 'n1',
  component: 'demo',
  version,
  action: 'install',
  artifact: { uri: `s3://bucket/demo-${version}.tar.gz`, sha256: 'f'.repeat(64), length: 100 },
  fencingToken: 1,
  lockKey: 'cluster',
  health: { minHealthyMs: 200, deadlineMs: 1000 },
  issuedAt: new Date().toISOString(),
  ...over,
});

describe(InstallPipeline.name, () => {
  let root: string;
  let dir: AppDirectory;
  let journal: CommandJournal;
  let artifacts: Record<string, Buffer>;
  let broken: Set<string>;
  let app: jest.Mocked<ServiceManager>;
  let deps: InstallPipelineDeps;
  let steps: InstallStep[];
  let sut: InstallPipeline;
  const signal = new AbortController().signal;
  const report = async (step: InstallStep) => void steps.push(step);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'pipeline-'));
    dir = new AppDirectory(root);
    await dir.init();
    journal = await CommandJournal.open(join(dir.stateDir, 'journal.json'));
    artifacts = {
      '1.0.0': buildDemoArtifact('1.0.0'),
      '1.1.0': buildDemoArtifact('1.1.0'),
      '1.2.0': buildDemoArtifact('1.2.0'),
    };
    broken = new Set();
    steps = [];
    app = {
      id: 'fake',
      start: jest.fn(async () => undefined),
      restart: jest.fn(async () => undefined),
      stop: jest.fn(async () => undefined),
      status: jest.fn(async () => 'running' as const),
      close: jest.fn(async () => undefined),
    };
    let clock = 0;
    deps = {
      dir,
      journal,
      download: jest.fn(async (uri: string, path: string) => {
        const version = /demo-(.+)\.tar\.gz$/.exec(uri)![1];
        await writeFile(path, artifacts[version]);
        return {
          path,
          sha256: createHash('sha256').update(artifacts[version]).digest('hex'),
          length: artifacts[version].length,
        };
      }),
      verify: jest.fn(async () => undefined),
      unpack: unpackTarGz,
      config: new ConfigMigrator(dir.sharedDir),
      hook: new MigrateHookRunner(5000),
      app,
      // The app is healthy unless the version `current` points at is in `broken`.
      health: new HealthGate(
        {
          probe: async () => {
            const v = await dir.currentVersion();
            return v && !broken.has(v) ? { ok: true, detail: 'HTTP 200' } : { ok: false, detail: 'HTTP 500' };
          },
          now: () => clock,
          sleep: async (ms) => void (clock += ms),
        },
        50,
      ),
      freeDisk: async () => 10 ** 12,
      limits: {
        minFreeDiskBytes: 1,
        maxArtifactBytes: 16 * 1024 * 1024,
        maxUnpackedBytes: 16 * 1024 * 1024,
        keepReleases: 2,
      },
      logger: silentLogger,
    };
    sut = new InstallPipeline(deps);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const install = async (version: string, over: Partial<InstallCommandV1> = {}) => {
    const bytes = artifacts[version];
    const cmd = command(version, {
      artifact: {
        uri: `s3://bucket/demo-${version}.tar.gz`,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        length: bytes.length,
      },
      ...over,
    });
    const entry = await journal.begin({ command: cmd, messageSeq: 1, previousVersion: await dir.currentVersion() });
    return sut.run(entry, report, signal);
  };
  const config = async () => JSON.parse(await readFile(join(dir.sharedDir, 'config.json'), 'utf8'));

  it('installs, swaps, restarts and passes the health gate, reporting every step', async () => {
    const outcome = await install('1.0.0');

    expect(outcome).toMatchObject({ result: 'succeeded', runningVersion: '1.0.0', previousVersion: null, noop: false });
    expect(steps).toEqual([
      'preflight',
      'downloading',
      'verifying',
      'unpacking',
      'migrating_config',
      'migrate_hook',
      'swapping',
      'restarting',
      'health_check',
    ]);
    expect(await dir.currentVersion()).toBe('1.0.0');
    expect(app.restart).toHaveBeenCalledTimes(1);
    expect(await readdir(dir.tmpDir)).toEqual([]);
  });

  it('reports a no-op without touching the app', async () => {
    await install('1.0.0');
    app.restart.mockClear();

    const outcome = await install('1.0.0');

    expect(outcome).toMatchObject({ result: 'succeeded', noop: true, runningVersion: '1.0.0' });
    expect(app.restart).not.toHaveBeenCalled();
  });

  it.each<[string, () => void, InstallStep, AgentErrorCode]>([
    [
      'verification fails',
      () =>
        (deps.verify as jest.Mock).mockRejectedValueOnce(
          new InstallStepError(AgentErrorCode.TufBadSignature, 'bad', { step: 'verifying' }),
        ),
      'verifying',
      AgentErrorCode.TufBadSignature,
    ],
    [
      'the artifact is unsafe',
      () => (artifacts['1.1.0'] = writeTarGz([{ path: '../x', data: 'x' }])),
      'unpacking',
      AgentErrorCode.UnsafeArchive,
    ],
    [
      'the migrate hook fails',
      () =>
        (artifacts['1.1.0'] = writeTarGz(
          demoAppEntries('1.1.0', {
            noHook: true,
            extra: [{ path: 'hooks/migrate', data: '#!/bin/sh\necho boom\nexit 3\n', mode: 0o755 }],
          }),
        )),
      'migrate_hook',
      AgentErrorCode.HookFailed,
    ],
    ['the disk is too full', () => (deps.freeDisk = async () => 0), 'preflight', AgentErrorCode.NotEnoughDisk],
    [
      'no pinned anchor can vouch for the artifact',
      () =>
        (deps.checkAnchor = () => {
          throw new InstallStepError(AgentErrorCode.TufNotConfigured, 'no metadata URL', { step: 'preflight' });
        }),
      'preflight',
      AgentErrorCode.TufNotConfigured,
    ],
  ])('leaves the node untouched when %s before the swap', async (_what, arrange, step, code) => {
    await install('1.0.0');
    const before = await readFile(join(dir.sharedDir, 'config.json'), 'utf8');
    arrange();
    app.restart.mockClear();

    const outcome = await install('1.1.0');

    expect(outcome).toMatchObject({
      result: 'failed',
      failedStep: step,
      runningVersion: '1.0.0',
      error: expect.stringContaining(code),
    });
    expect(await dir.currentVersion()).toBe('1.0.0');
    expect(await readFile(join(dir.sharedDir, 'config.json'), 'utf8')).toBe(before);
    expect((await dir.releases()).sort()).toEqual(step === 'migrate_hook' ? ['1.0.0', '1.1.0'] : ['1.0.0']);
    expect(existsSync(dir.partialDir('1.1.0'))).toBe(false);
    expect(app.restart).not.toHaveBeenCalled();
  });

  it('rolls back to the previous release when the health gate fails, restoring its config', async () => {
    await install('1.0.0');
    broken.add('1.1.0');

    const outcome = await install('1.1.0');

    expect(outcome).toMatchObject({
      result: 'rolled_back',
      failedStep: 'health_check',
      runningVersion: '1.0.0',
      previousVersion: '1.0.0',
      error: expect.stringMatching(/HEALTH_GATE_FAILED/),
    });
    expect(steps.slice(-3)).toEqual(['restarting', 'health_check', 'rolling_back']);
    expect(await dir.currentVersion()).toBe('1.0.0');
    expect((await config()).features).toEqual({ 'since-1.0.0': true });
    expect(app.restart).toHaveBeenCalledTimes(3);
  });

  it('says so when the previous release does not come back healthy either', async () => {
    await install('1.0.0');
    broken.add('1.0.0').add('1.1.0');

    const outcome = await install('1.1.0');

    expect(outcome).toMatchObject({
      result: 'rolled_back',
      runningVersion: '1.0.0',
      error: expect.stringMatching(/did not come back healthy either/),
    });
  });

  it('stops the app and removes current when a first install fails after the swap', async () => {
    broken.add('1.0.0');

    const outcome = await install('1.0.0');

    expect(outcome).toMatchObject({ result: 'rolled_back', runningVersion: null });
    expect(await dir.currentVersion()).toBeNull();
    expect(app.stop).toHaveBeenCalled();
  });

  it('reuses a kept release with the same artifact instead of downloading it', async () => {
    await install('1.0.0');
    await install('1.1.0');
    (deps.download as jest.Mock).mockClear();

    const outcome = await install('1.0.0', { action: 'rollback' });

    expect(outcome).toMatchObject({ result: 'succeeded', runningVersion: '1.0.0' });
    expect(deps.download).not.toHaveBeenCalled();
  });

  it.each<[string, (release: string) => Promise<void>]>([
    ['a file deleted', (release) => rm(join(release, 'server.js'))],
    ['a file emptied', (release) => writeFile(join(release, 'server.js'), '')],
    ['its directory emptied', (release) => rm(release, { recursive: true }).then(() => mkdir(release))],
  ])(
    'downloads again, rather than run, a kept release a kill left half-deleted (%s, its record intact)',
    async (_what, damage) => {
      await install('1.0.0');
      await install('1.1.0');
      await damage(dir.releaseDir('1.0.0'));
      (deps.download as jest.Mock).mockClear();

      const outcome = await install('1.0.0', { action: 'rollback' });

      expect(outcome).toMatchObject({ result: 'succeeded', runningVersion: '1.0.0' });
      expect(deps.download).toHaveBeenCalledTimes(1);
      expect(await readFile(join(dir.releaseDir('1.0.0'), 'server.js'), 'utf8')).not.toBe('');
    },
  );

  it('keeps K releases plus the current and the previous one', async () => {
    deps.limits.keepReleases = 1;
    await install('1.0.0');
    await install('1.1.0');
    await install('1.2.0');

    expect((await dir.releases()).sort()).toEqual(['1.1.0', '1.2.0']);
  });

  describe('pre-update backups', () => {
    beforeEach(async () => {
      await install('1.0.0');
      steps = [];
      app.restart.mockClear();
    });

    it('takes the backup before downloading anything and reports its id', async () => {
      const order: string[] = [];
      deps.backup = jest.fn(
        async (_cmd, id: string, previous: string | null) => void order.push(`backup ${id} from ${previous}`),
      );
      const download = deps.download;
      deps.download = jest.fn(
        async (...args: Parameters<InstallPipelineDeps['download']>) => (order.push('download'), download(...args)),
      );

      const outcome = await install('1.1.0');

      expect(outcome).toMatchObject({
        result: 'succeeded',
        runningVersion: '1.1.0',
        backupId: expect.stringMatching(/^preupdate_n1_1\.1\.0_[0-9a-f]{24}$/),
      });
      expect(order).toEqual([`backup ${outcome.backupId} from 1.0.0`, 'download']);
      expect(steps.slice(0, 3)).toEqual(['preflight', 'backing_up', 'downloading']);
    });

    it('stops the install before anything changes when the backup fails', async () => {
      deps.backup = jest.fn(async () => {
        throw new Error('S3 is unreachable');
      });

      const outcome = await install('1.1.0');

      expect(outcome).toMatchObject({
        result: 'failed',
        failedStep: 'backing_up',
        runningVersion: '1.0.0',
        error: expect.stringMatching(
          /BACKUP_FAILED: the pre-update backup failed, so nothing was changed: S3 is unreachable/,
        ),
      });
      expect(deps.download).toHaveBeenCalledTimes(1); // the first install's only
      expect(await dir.currentVersion()).toBe('1.0.0');
      expect(app.restart).not.toHaveBeenCalled();
    });

    it('skips the backup when the command says so, and for rollbacks', async () => {
      deps.backup = jest.fn(async () => undefined);

      await install('1.1.0', { backup: false });
      await install('1.0.0', { action: 'rollback' });

      expect(deps.backup).not.toHaveBeenCalled();
    });

    it('restores the named backup before swapping back (rollback --restore-data), and fails untouched when it cannot', async () => {
      await install('1.1.0');
      const order: string[] = [];
      deps.restoreData = jest.fn(async (id: string) => void order.push(`restore ${id}`));
      const swap = dir.swapCurrent.bind(dir);
      jest.spyOn(dir, 'swapCurrent').mockImplementation(async (v) => (order.push(`swap ${v}`), swap(v)));
      app.stop.mockImplementation(async () => void order.push('stop'));
      app.restart.mockImplementation(async () => void order.push('restart'));

      const restored = await install('1.0.0', { action: 'rollback', restoreBackupId: 'preupdate_n1_1.1.0_abcdef12' });
      const restoredOrder = order.splice(0);
      deps.restoreData = jest.fn(async () => {
        throw new Error('backup preupdate_x is corrupted');
      });
      const configPath = join(dir.sharedDir, 'config.json');
      const configBefore = await readFile(configPath, 'utf8');
      let configAtRestart = '';
      app.restart.mockImplementation(
        async () => void (order.push('restart'), (configAtRestart = await readFile(configPath, 'utf8'))),
      );
      const refused = await install('1.1.0', { action: 'rollback', restoreBackupId: 'preupdate_x' });

      expect(restored).toMatchObject({
        result: 'succeeded',
        runningVersion: '1.0.0',
        restoredBackupId: 'preupdate_n1_1.1.0_abcdef12',
      });
      expect(restoredOrder).toEqual(['stop', 'restore preupdate_n1_1.1.0_abcdef12', 'swap 1.0.0', 'restart']);
      expect(refused).toMatchObject({
        result: 'failed',
        failedStep: 'restoring_data',
        runningVersion: '1.0.0',
        error: expect.stringMatching(
          /data was left as it was: backup preupdate_x is corrupted; 1\.0\.0 was started again$/,
        ),
      });
      expect(order).toEqual(['stop', 'restart']);
      expect(configAtRestart).toBe(configBefore); // 1.0.0 starts again with its own config, not 1.1.0's migrated one
    });

    it('does not swap to a release whose command passed its deadline while it prepared (e.g. a long pre-update backup)', async () => {
      let now = Date.parse('2026-12-07T12:00:00Z');
      deps.now = () => now;
      deps.backup = jest.fn(async () => void (now += 12 * 60_000)); // twelve minutes of backing up
      await install('1.0.0');

      const late = await install('1.1.0', { deadline: new Date(now + 10 * 60_000).toISOString() });

      expect(late).toMatchObject({
        result: 'failed',
        runningVersion: '1.0.0',
        failedStep: 'swapping',
        error: expect.stringMatching(/^COMMAND_DEADLINE_PASSED: .*gave up/),
      });
      expect(await dir.currentVersion()).toBe('1.0.0');
    });

    describe('once a data restore has begun (issue 12, defect 3)', () => {
      let order: string[];
      beforeEach(async () => {
        await install('1.1.0');
        order = [];
        deps.backup = jest.fn(async (_cmd: InstallCommandV1, id: string) => void order.push(`backup ${id}`));
        deps.restoreData = jest.fn(async (id: string) => void order.push(`restore ${id}`));
        const swap = dir.swapCurrent.bind(dir);
        jest.spyOn(dir, 'swapCurrent').mockImplementation(async (v) => (order.push(`swap ${v}`), swap(v)));
        app.stop.mockImplementation(async () => void order.push('stop'));
        app.restart.mockImplementation(async () => void order.push('restart'));
      });
      const backedUp = () => order.find((o) => o.startsWith('backup '))!.slice('backup '.length);
      /** Backed up, stopped, restored preupdate_old, put the backed-up data back, started the newer release again. */
      const restoredThenUndone = () => [
        `backup ${backedUp()}`,
        'stop',
        'restore preupdate_old',
        `restore ${backedUp()}`,
        'restart',
      ];

      it('puts back the data it replaced before swapping back, when the old release then fails its health gate', async () => {
        broken.add('1.0.0');

        const outcome = await install('1.0.0', { action: 'rollback', restoreBackupId: 'preupdate_old' });

        expect(order).toEqual([
          `backup ${backedUp()}`,
          'stop',
          'restore preupdate_old',
          'swap 1.0.0',
          'restart',
          'stop',
          `restore ${backedUp()}`,
          'swap 1.1.0',
          'restart',
        ]);
        expect(outcome).toMatchObject({ result: 'rolled_back', runningVersion: '1.1.0', failedStep: 'health_check' });
      });

      it('stays stopped on the old release when there is nothing to put the replaced data back from', async () => {
        delete deps.backup;
        broken.add('1.0.0');

        const outcome = await install('1.0.0', { action: 'rollback', restoreBackupId: 'preupdate_old' });

        expect(order).toEqual(['stop', 'restore preupdate_old', 'swap 1.0.0', 'restart', 'stop']);
        expect(await dir.currentVersion()).toBe('1.0.0');
        expect(outcome).toMatchObject({
          result: 'failed',
          runningVersion: null,
          failedStep: 'health_check',
          error: expect.stringMatching(/stays stopped/),
        });
      });

      it('undoes a restore that failed part-way before starting the newer release again', async () => {
        deps.restoreData = jest.fn(async (id: string) => {
          order.push(`restore ${id}`);
          if (id === 'preupdate_old')
            throw Object.assign(new Error('pg_restore failed after files were back'), {
              code: 'BACKUP_RESTORE_PARTIAL',
            });
        });

        const outcome = await install('1.0.0', { action: 'rollback', restoreBackupId: 'preupdate_old' });

        expect(order).toEqual(restoredThenUndone());
        expect(outcome).toMatchObject({ result: 'failed', runningVersion: '1.1.0', failedStep: 'restoring_data' });
      });

      it('puts the replaced data back when the deadline passes between the restore and the swap', async () => {
        let now = Date.parse('2026-12-07T12:00:00Z');
        deps.now = () => now;
        deps.restoreData = jest.fn(async (id: string) => {
          order.push(`restore ${id}`);
          if (id === 'preupdate_old') now += 20 * 60_000; // a long database restore
        });

        const outcome = await install('1.0.0', {
          action: 'rollback',
          restoreBackupId: 'preupdate_old',
          deadline: new Date(now + 10 * 60_000).toISOString(),
        });

        expect(order).toEqual(restoredThenUndone());
        expect(outcome).toMatchObject({ result: 'failed', runningVersion: '1.1.0', failedStep: 'swapping' });
      });

      it('restores the data even when the node already runs the version it rolls back to', async () => {
        const outcome = await install('1.1.0', { action: 'rollback', restoreBackupId: 'preupdate_old' });

        expect(order).toContain('restore preupdate_old');
        expect(outcome).toMatchObject({
          result: 'succeeded',
          runningVersion: '1.1.0',
          restoredBackupId: 'preupdate_old',
        });
      });
    });

    it("refuses, before stopping the app, to restore another node's or component's backup, with BACKUP_FOREIGN", async () => {
      await install('1.1.0');
      deps.restoreData = jest.fn(async () => undefined);
      deps.checkRestore = jest.fn(async () => {
        throw Object.assign(
          new Error('refusing to restore backup preupdate_n2_1.1.0_abcdef12: it was taken on node n2'),
          {
            code: 'BACKUP_FOREIGN',
          },
        );
      });
      app.stop.mockClear();

      const refused = await install('1.0.0', { action: 'rollback', restoreBackupId: 'preupdate_n2_1.1.0_abcdef12' });

      expect(refused).toMatchObject({
        result: 'failed',
        failedStep: 'preflight',
        runningVersion: '1.1.0',
        error: expect.stringMatching(/^BACKUP_FOREIGN: refusing to restore backup preupdate_n2_1\.1\.0_abcdef12/),
      });
      expect(deps.checkRestore).toHaveBeenCalledWith('preupdate_n2_1.1.0_abcdef12', expect.anything());
      expect(deps.restoreData).not.toHaveBeenCalled();
      expect(app.stop).not.toHaveBeenCalled();
    });
  });

  describe('resume after the agent died', () => {
    const interrupted = async (
      version: string,
      patch: Parameters<CommandJournal['update']>[1],
      current: string | null,
    ) => {
      const entry = await journal.begin({ command: command(version), messageSeq: 1, previousVersion: '1.0.0' });
      if (current) await dir.swapCurrent(current);
      return journal.update(entry.commandId, patch);
    };

    beforeEach(async () => {
      await install('1.0.0');
      await install('1.1.0');
      await install('1.0.0');
      steps = [];
      app.restart.mockClear();
    });

    it('re-runs the health gate when the swap happened, and succeeds without restarting', async () => {
      const entry = await interrupted('1.1.0', { step: 'health_check', swap: { from: '1.0.0', to: '1.1.0' } }, '1.1.0');

      const outcome = await sut.resume(entry, report, signal);

      expect(outcome).toMatchObject({ result: 'succeeded', runningVersion: '1.1.0' });
      expect(steps).toEqual(['health_check']);
      expect(app.restart).not.toHaveBeenCalled();
    });

    it('rolls back when the re-run health gate fails', async () => {
      broken.add('1.1.0');
      const entry = await interrupted('1.1.0', { step: 'health_check', swap: { from: '1.0.0', to: '1.1.0' } }, '1.1.0');

      const outcome = await sut.resume(entry, report, signal);

      expect(outcome).toMatchObject({ result: 'rolled_back', runningVersion: '1.0.0', failedStep: 'health_check' });
      expect(await dir.currentVersion()).toBe('1.0.0');
    });

    it('stays stopped when it died restoring data and has nothing to undo the restore from', async () => {
      const entry = await journal.begin({
        command: command('0.9.0', { action: 'rollback', restoreBackupId: 'preupdate_n1_1.0.0_abcdef12' }),
        messageSeq: 1,
        previousVersion: '1.0.0',
      });
      const patched = await journal.update(entry.commandId, { step: 'restoring_data' });

      const outcome = await sut.resume(patched, report, signal);

      expect(outcome).toMatchObject({
        result: 'failed',
        runningVersion: null,
        failedStep: 'restoring_data',
        error: expect.stringMatching(/may be partly restored.*stays stopped/),
      });
      expect(app.restart).not.toHaveBeenCalled();
    });

    it('puts the replaced data back and restarts the running release when it died restoring data', async () => {
      deps.restoreData = jest.fn(async () => undefined);
      const entry = await journal.begin({
        command: command('0.9.0', { action: 'rollback', restoreBackupId: 'preupdate_n1_1.0.0_abcdef12' }),
        messageSeq: 1,
        previousVersion: '1.0.0',
      });
      const patched = await journal.update(entry.commandId, { step: 'restoring_data', backupId: 'prerestore_1' });

      const outcome = await sut.resume(patched, report, signal);

      expect(deps.restoreData).toHaveBeenCalledWith('prerestore_1', expect.anything(), expect.anything(), signal);
      expect(outcome).toMatchObject({
        result: 'failed',
        runningVersion: '1.0.0',
        failedStep: 'restoring_data',
        error: expect.stringMatching(/put back from prerestore_1.*1\.0\.0 was started again$/),
      });
      expect(app.restart).toHaveBeenCalledTimes(1);
    });

    it('puts the replaced data back when it died after the restore finished but before the swap', async () => {
      deps.restoreData = jest.fn(async () => undefined);
      const entry = await journal.begin({
        command: command('0.9.0', { action: 'rollback', restoreBackupId: 'preupdate_n1_1.0.0_abcdef12' }),
        messageSeq: 1,
        previousVersion: '1.0.0',
      });
      const patched = await journal.update(entry.commandId, {
        step: 'swapping',
        backupId: 'prerestore_2',
        restoredBackupId: 'preupdate_n1_1.0.0_abcdef12',
      });

      const outcome = await sut.resume(patched, report, signal);

      expect(deps.restoreData).toHaveBeenCalledWith('prerestore_2', expect.anything(), expect.anything(), signal);
      expect(outcome).toMatchObject({ result: 'failed', runningVersion: '1.0.0' });
      expect(app.restart).toHaveBeenCalledTimes(1);
    });

    it('finishes a rollback that was under way', async () => {
      const entry = await interrupted(
        '1.1.0',
        {
          step: 'health_check',
          swap: { from: '1.0.0', to: '1.1.0' },
          rollingBack: true,
          failure: { step: 'health_check', error: 'HEALTH_GATE_FAILED: x' },
        },
        '1.1.0',
      );

      const outcome = await sut.resume(entry, report, signal);

      expect(outcome).toMatchObject({ result: 'rolled_back', runningVersion: '1.0.0', error: 'HEALTH_GATE_FAILED: x' });
      expect(await dir.currentVersion()).toBe('1.0.0');
    });

    it('reports failed when it died before the swap (or before the rename)', async () => {
      const entry = await interrupted('1.1.0', { step: 'swapping', swap: { from: '1.0.0', to: '1.1.0' } }, null);

      const outcome = await sut.resume(entry, report, signal);

      expect(outcome).toMatchObject({
        result: 'failed',
        failedStep: 'swapping',
        runningVersion: '1.0.0',
        error: expect.stringMatching(/INTERRUPTED: .*before the swap/),
      });
      expect(await dir.currentVersion()).toBe('1.0.0');
    });
  });
});
