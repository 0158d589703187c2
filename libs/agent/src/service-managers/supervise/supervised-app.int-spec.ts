import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTs, waitFor } from '@lockstep/testing';
import { AppDirectory } from '../../app/app-directory';
import { silentLogger } from '../../support/logger';
import { alive, SupervisedApp } from './index';

/** An app that idles until stopped. */
const COMMAND = `${process.execPath} -e "setInterval(() => undefined, 1000)"`;

/**
 * An agent SIGKILLed leaves its app running (the app has its own process group); the next
 * agent must stop that orphan before it starts the app, whichever way it starts it.
 */
describe(SupervisedApp.name, () => {
  let root: string;
  let dir: AppDirectory;
  let sut: SupervisedApp;
  let orphan = 0;

  /** Runs an agent that starts the app, SIGKILLs it, and returns the pid of the app it left behind. */
  const agentKilledWithItsAppRunning = async (): Promise<number> => {
    const agent = spawnTs('libs/agent/src/service-managers/supervise/__fixtures__/supervising-agent.ts', {
      AGENT_DIR: root,
      SUPERVISE_COMMAND: COMMAND,
    });
    const { started } = await agent.waitForLine((l) => typeof l.started === 'number');
    await agent.kill('SIGKILL');
    return started as number;
  };
  const appPid = () => Number(readFileSync(join(dir.stateDir, 'app.pid'), 'utf8').trim());

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'lockstep-supervise-'));
    dir = new AppDirectory(root);
    await dir.init();
    mkdirSync(dir.releaseDir('1.0.0'), { recursive: true });
    writeFileSync(join(dir.releaseDir('1.0.0'), 'VERSION'), '1.0.0\n');
    symlinkSync('releases/1.0.0', dir.currentLink);
    sut = new SupervisedApp({
      dir,
      settings: { superviseCommand: COMMAND, stopTimeoutMs: 2000, systemctl: 'systemctl', systemdUser: false },
      logger: silentLogger,
    });
    orphan = await agentKilledWithItsAppRunning();
  });

  afterEach(async () => {
    await sut.close();
    if (alive(orphan)) process.kill(-orphan, 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it.each([
    ['starts the app (agent start)', (app: SupervisedApp) => app.start()],
    ['restarts the app (finishing a command the killed agent began)', (app: SupervisedApp) => app.restart()],
    ['stops the app (a restore stopping it first)', (app: SupervisedApp) => app.stop()],
  ])('stops the orphaned app when the new agent %s', async (_what, act) => {
    expect(alive(orphan)).toBe(true);

    await act(sut);

    await waitFor(() => !alive(orphan), { timeoutMs: 5000, what: `the orphaned app ${orphan} to stop` });
    if ((await sut.status()) === 'running') expect(appPid()).not.toBe(orphan);
  });
});
