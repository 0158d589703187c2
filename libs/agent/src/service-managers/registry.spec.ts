import { mkdtemp, rm, writeFile, mkdir, symlink } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppDirectory } from '../app/app-directory';
import { silentLogger } from '../support/logger';
import { createServiceManager, ServiceManagers, serviceManagerPlugin } from './registry';
import type { ServiceManagerSettings } from './service-manager';

const settings: ServiceManagerSettings = { stopTimeoutMs: 2000, systemctl: 'systemctl', systemdUser: false };

describe('service manager registry', () => {
  it('lists exactly the plugin folders, each under its own id', () => {
    const folders = readdirSync(__dirname, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();

    expect(Object.keys(ServiceManagers).sort()).toEqual(folders);
    for (const id of folders) expect(serviceManagerPlugin(id).id).toBe(id);
  });

  it('names the valid ids for an unknown one', () => {
    expect(() => serviceManagerPlugin('launchd')).toThrow(/use one of supervise, systemd, command/);
  });

  it.each([
    ['supervise', {}, ['AGENT_SUPERVISE_COMMAND']],
    ['systemd', {}, ['AGENT_SYSTEMD_UNIT']],
    ['command', { startCommand: 'x' }, ['AGENT_STOP_COMMAND']],
    ['command', { startCommand: 'x', stopCommand: 'y' }, []],
  ])('%s names its missing settings', (id, given, variables) => {
    const problems = serviceManagerPlugin(id).validate({ ...settings, ...given });

    expect(problems.map((p) => p.variable)).toEqual(variables);
  });

  describe('command plugin', () => {
    let root: string;
    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'svc-'));
      await mkdir(join(root, 'releases', '1.0.0'), { recursive: true });
      await symlink('releases/1.0.0', join(root, 'current'));
    });
    afterEach(() => rm(root, { recursive: true, force: true }));

    it('runs the configured commands with the release in the environment', async () => {
      const log = join(root, 'calls.log');
      const sut = createServiceManager('command', {
        dir: new AppDirectory(root),
        logger: silentLogger,
        settings: {
          ...settings,
          appPort: 4321,
          startCommand: `echo "start $LOCKSTEP_VERSION $PORT" >> ${log}`,
          stopCommand: `echo stop >> ${log}`,
          statusCommand: `test -f ${join(root, 'up')}`,
        },
      });

      await sut.start();
      await sut.restart();
      await writeFile(join(root, 'up'), '');
      const status = await sut.status();

      expect(status).toBe('running');
      expect(readFileSync(log, 'utf8')).toBe('start 1.0.0 4321\nstop\nstart 1.0.0 4321\n');
    });

    it('reports a failing command with its output', async () => {
      const sut = createServiceManager('command', {
        dir: new AppDirectory(root),
        logger: silentLogger,
        settings: { ...settings, startCommand: 'echo nope >&2; exit 3', stopCommand: 'true' },
      });

      await expect(sut.restart()).rejects.toThrow(/start command .* exited with code 3; last output: nope/);
    });
  });
});
