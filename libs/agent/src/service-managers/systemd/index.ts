import { describeResult, runCommand } from '../../process/run-command';
import type { AppStatus, ServiceManager, ServiceManagerContext, ServiceManagerPlugin } from '../service-manager';

/**
 * Controls a systemd unit with systemctl. The unit must run the app from the agent's
 * `current` symlink (e.g. `WorkingDirectory=/srv/app/current`, `ExecStart=/usr/bin/node server.js`),
 * so a restart after the swap starts the new release.
 */
export class SystemdUnit implements ServiceManager {
  readonly id = 'systemd';

  constructor(private readonly ctx: ServiceManagerContext) {}

  start(): Promise<void> {
    return this.systemctl('start').then(() => undefined);
  }
  restart(): Promise<void> {
    return this.systemctl('restart').then(() => undefined);
  }
  stop(): Promise<void> {
    return this.systemctl('stop').then(() => undefined);
  }
  async status(): Promise<AppStatus> {
    const code = await this.systemctl('is-active', true);
    return code === 0 ? 'running' : code === 3 ? 'stopped' : 'unknown';
  }
  async close(): Promise<void> {
    // The unit outlives the agent.
  }

  private async systemctl(verb: string, tolerate = false): Promise<number | null> {
    const s = this.ctx.settings;
    const args = [...(s.systemdUser ? ['--user'] : []), verb, s.systemdUnit!];
    const result = await runCommand({ command: s.systemctl, args, timeoutMs: s.stopTimeoutMs });
    if (!tolerate && result.code !== 0)
      throw new Error(describeResult(`${s.systemctl} ${args.join(' ')}`, result, s.stopTimeoutMs));
    return result.code;
  }
}

/** The `systemd` service manager. */
export const systemdPlugin: ServiceManagerPlugin = {
  id: 'systemd',
  validate: (s) =>
    s.systemdUnit
      ? []
      : [
          {
            variable: 'AGENT_SYSTEMD_UNIT',
            message: 'required when AGENT_SERVICE_MANAGER=systemd: the unit to restart, e.g. app.service',
          },
        ],
  create: (ctx) => new SystemdUnit(ctx),
};
