import { spawn, type ChildProcess } from 'node:child_process';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { killGroup, scrubbedEnv } from '../../process/run-command';
import {
  appEnvironment,
  type AppStatus,
  type ServiceManager,
  type ServiceManagerContext,
  type ServiceManagerPlugin,
} from '../service-manager';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether a process with this pid exists. */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Runs the app as a child process of the agent (`/bin/sh -c "exec <command>"` in `current/`,
 * with PORT and the LOCKSTEP_* variables), in its own process group, output appended to
 * logs/app.log. Restarts it with back-off when it dies on its own. Its pid is kept in
 * state/app.pid, so an agent restarted after a crash stops the orphan before starting anew.
 */
export class SupervisedApp implements ServiceManager {
  readonly id = 'supervise';
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private wanted = false;
  private crashes = 0;
  private respawn?: NodeJS.Timeout;

  constructor(private readonly ctx: ServiceManagerContext) {}

  private get pidFile(): string {
    return join(this.ctx.dir.stateDir, 'app.pid');
  }

  async start(): Promise<void> {
    this.wanted = true;
    if (this.child) return;
    await this.stopOrphan();
    await this.spawnChild();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    this.wanted = false;
    clearTimeout(this.respawn);
    const child = this.child;
    if (child) {
      killGroup(child.pid, 'SIGTERM');
      const done = await Promise.race([
        this.exited!.then(() => true),
        sleep(this.ctx.settings.stopTimeoutMs).then(() => false),
      ]);
      if (!done) {
        this.ctx.logger.warn(
          `app (pid ${child.pid}) did not stop within ${this.ctx.settings.stopTimeoutMs} ms of SIGTERM; sending SIGKILL`,
        );
        killGroup(child.pid, 'SIGKILL');
        await this.exited;
      }
    } else {
      // not started by this agent yet: the app running may be one a killed agent left behind,
      // and the pid file removed below is the only way to find it
      await this.stopOrphan();
    }
    await rm(this.pidFile, { force: true });
  }

  status(): Promise<AppStatus> {
    return Promise.resolve(this.child ? 'running' : 'stopped');
  }

  async close(): Promise<void> {
    await this.stop();
  }

  private async spawnChild(): Promise<void> {
    const { dir, settings, logger } = this.ctx;
    const version = await dir.currentVersion();
    if (version === null) throw new Error('there is no current release to start');
    const log = await open(join(dir.logsDir, 'app.log'), 'a');
    const env = {
      ...scrubbedEnv(),
      ...appEnvironment(dir, version),
      ...(settings.appPort !== undefined ? { PORT: String(settings.appPort) } : {}),
    };
    const child = spawn('/bin/sh', ['-c', `exec ${settings.superviseCommand}`], {
      cwd: dir.currentLink,
      env,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
    await log.close();
    const startedAt = Date.now();
    this.child = child;
    this.exited = new Promise((resolve) => {
      let settled = false;
      const gone = (how: string) => {
        if (settled) return;
        settled = true;
        if (this.child === child) this.child = undefined;
        resolve();
        if (!this.wanted) return;
        this.crashes = Date.now() - startedAt > 10_000 ? 1 : this.crashes + 1;
        const delay = Math.min(30_000, 250 * 2 ** (this.crashes - 1));
        logger.warn(`app ${version} ${how}; restarting in ${delay} ms`);
        this.respawn = setTimeout(() => {
          if (this.wanted && !this.child)
            void this.spawnChild().catch((err) => logger.error(`cannot restart the app: ${(err as Error).message}`));
        }, delay);
      };
      child.once('exit', (code, signal) => gone(`exited on its own (${signal ?? `code ${code}`})`));
      child.once('error', (err) => gone(`could not be started (${err.message})`));
    });
    if (child.pid) await writeFile(this.pidFile, `${child.pid}\n`);
    logger.log(`app ${version} started (pid ${child.pid}): ${settings.superviseCommand}`);
  }

  /** Stops an app left running by an agent that died (pid file + /proc check that it is ours). */
  private async stopOrphan(): Promise<void> {
    const text = await readFile(this.pidFile, 'utf8').catch(() => '');
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (!environ.split('\0').includes(`LOCKSTEP_AGENT_DIR=${this.ctx.dir.root}`)) return;
    this.ctx.logger.warn(`stopping app pid ${pid} left running by a previous agent`);
    killGroup(pid, 'SIGTERM');
    const deadline = Date.now() + this.ctx.settings.stopTimeoutMs;
    while (alive(pid) && Date.now() < deadline) await sleep(50);
    if (alive(pid)) killGroup(pid, 'SIGKILL');
    while (alive(pid)) await sleep(20);
  }
}

/** The `supervise` service manager. */
export const supervisePlugin: ServiceManagerPlugin = {
  id: 'supervise',
  validate: (s) =>
    s.superviseCommand
      ? []
      : [
          {
            variable: 'AGENT_SUPERVISE_COMMAND',
            message:
              'required when AGENT_SERVICE_MANAGER=supervise: the command that runs the app inside current/, e.g. "node server.js"',
          },
        ],
  create: (ctx) => new SupervisedApp(ctx),
};
