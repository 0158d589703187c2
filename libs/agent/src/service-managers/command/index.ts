import { describeResult, runCommand } from '../../process/run-command';
import {
  appEnvironment,
  type AppStatus,
  type ServiceManager,
  type ServiceManagerContext,
  type ServiceManagerPlugin,
} from '../service-manager';

/**
 * Controls the app with operator-configured shell commands (AGENT_START_COMMAND,
 * AGENT_STOP_COMMAND, optional AGENT_STATUS_COMMAND: exit 0 = running), run in the app
 * directory with PORT and the LOCKSTEP_* variables (LOCKSTEP_CURRENT_DIR is the release to run).
 */
export class CommandControlledApp implements ServiceManager {
  readonly id = 'command';

  constructor(private readonly ctx: ServiceManagerContext) {}

  async start(): Promise<void> {
    if ((await this.status()) !== 'running') await this.run('start', this.ctx.settings.startCommand!);
  }
  async restart(): Promise<void> {
    await this.run('stop', this.ctx.settings.stopCommand!);
    await this.run('start', this.ctx.settings.startCommand!);
  }
  async stop(): Promise<void> {
    await this.run('stop', this.ctx.settings.stopCommand!);
  }
  async status(): Promise<AppStatus> {
    const cmd = this.ctx.settings.statusCommand;
    if (!cmd) return 'unknown';
    const result = await runCommand({
      command: cmd,
      shell: true,
      cwd: this.ctx.dir.root,
      env: await this.env(),
      timeoutMs: this.ctx.settings.stopTimeoutMs,
    });
    return result.code === 0 ? 'running' : 'stopped';
  }
  async close(): Promise<void> {
    // The app outlives the agent.
  }

  private async env(): Promise<Record<string, string>> {
    const port = this.ctx.settings.appPort;
    return {
      ...appEnvironment(this.ctx.dir, await this.ctx.dir.currentVersion()),
      ...(port !== undefined ? { PORT: String(port) } : {}),
    };
  }

  private async run(what: string, command: string): Promise<void> {
    const timeoutMs = this.ctx.settings.stopTimeoutMs;
    const result = await runCommand({ command, shell: true, cwd: this.ctx.dir.root, env: await this.env(), timeoutMs });
    if (result.code !== 0) throw new Error(describeResult(`the ${what} command (${command})`, result, timeoutMs));
  }
}

/** The `command` service manager. */
export const commandPlugin: ServiceManagerPlugin = {
  id: 'command',
  validate: (s) => [
    ...(s.startCommand
      ? []
      : [
          {
            variable: 'AGENT_START_COMMAND',
            message: 'required when AGENT_SERVICE_MANAGER=command: the shell command that starts the app',
          },
        ]),
    ...(s.stopCommand
      ? []
      : [
          {
            variable: 'AGENT_STOP_COMMAND',
            message: 'required when AGENT_SERVICE_MANAGER=command: the shell command that stops the app',
          },
        ]),
  ],
  create: (ctx) => new CommandControlledApp(ctx),
};
