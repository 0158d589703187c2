import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  BACKUP_OPERATIONS_CONSUMER,
  BackupOperationCommandV1,
  BackupSubjects,
  formatIssues,
} from '@lockstep/contracts';
import { CommandConsumer, NatsClient, type CommandOutcome } from '@lockstep/messaging';
import type { JsMsg } from '@nats-io/jetstream';
import { BACKUP_CONFIG, type BackupServiceConfig } from '../backup.config';
import { BackupOperationsService } from './backup-operations.service';

/**
 * Consumes `cmd.backup.operation.v1`, one message at a time across replicas, and hands each
 * valid command to the service. The message is acked only after the service recorded the
 * outcome, so a replica killed mid-operation leaves it to be delivered again.
 */
@Injectable()
export class BackupOperationsHandler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BackupOperationsHandler.name);
  private consumer?: CommandConsumer;

  constructor(
    @Inject(BACKUP_CONFIG) private readonly config: BackupServiceConfig,
    private readonly nats: NatsClient,
    private readonly operations: BackupOperationsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.nats.connect();
    await this.operations.open();
    this.consumer = new CommandConsumer(
      this.nats.js,
      this.nats.jsm,
      {
        namespace: this.config.NATS_NAMESPACE,
        service: this.nats.options.service,
        stream: this.nats.stream('COMMANDS'),
        durable: BACKUP_OPERATIONS_CONSUMER,
        filterSubject: this.nats.subject(BackupSubjects.operation),
        deliverPolicy: 'all',
        ackWaitMs: this.config.BACKUP_ACK_WAIT,
        maxAckPending: 1,
      },
      (msg) => this.handle(msg),
      this.logger,
    );
    await this.consumer.ensure();
    this.consumer.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.consumer?.halt();
    await this.consumer?.stop();
  }

  private async handle(msg: JsMsg): Promise<CommandOutcome> {
    let json: unknown;
    try {
      json = msg.json();
    } catch (err) {
      return { kind: 'invalid', reason: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
    }
    const parsed = BackupOperationCommandV1.safeParse(json);
    if (!parsed.success)
      return {
        kind: 'invalid',
        reason: `not a backup operation: ${formatIssues(parsed.error)}`,
      };
    return this.operations.execute(parsed.data);
  }
}
