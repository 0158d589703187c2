import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { NodeAgentRuntime } from '@lockstep/agent';
import { NatsClient } from '@lockstep/messaging';
import { INSTALLER_CONFIG, toAgentSettings, type InstallerConfig } from '../installer.config';

/**
 * Runs this process's node agent on the service's NATS connection: starts it once the app
 * boots (app up from `current`, node registered, interrupted commands finished, commands
 * consumed) and drains it before the connection closes.
 */
@Injectable()
export class AgentHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AgentHost.name);
  private runtime?: NodeAgentRuntime;

  constructor(
    private readonly nats: NatsClient,
    @Inject(INSTALLER_CONFIG) private readonly config: InstallerConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.nats.connect();
    const settings = toAgentSettings(this.config);
    this.runtime = new NodeAgentRuntime(
      settings,
      { nc: this.nats.nc, namespace: this.nats.options.namespace, replicas: this.nats.options.replicas },
      { logger: new Logger(`agent ${settings.nodeId}`) },
    );
    await this.runtime.start();
    this.logger.log(
      `node ${settings.nodeId} (${settings.component}, ${settings.serviceManager}) in ${settings.dir} is consuming its commands`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime?.stop();
  }
}
