import { ClientNats, ServerNats, type NatsOptions } from '@nestjs/microservices';
import { Logger } from '@nestjs/common';
import { firstValueFrom, timeout } from 'rxjs';
import type { NatsConnectionSettings } from '@lockstep/config';
import type { Query } from '@lockstep/contracts';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { explainConnectFailure } from './nats-connect-failure';
import { natsConnectionOptions, type NatsConnectionOptions } from './nats-connection';

type NatsTransportOptions = NonNullable<NatsOptions['options']>;
/** Transport options beyond what the NATS settings decide (queue group, serializer…). */
export type QueryTransportOptions = Omit<NatsTransportOptions, keyof NatsConnectionOptions>;

/**
 * Nest's NATS transport, with every pattern placed under the deployment namespace so
 * several deployments (or test runs) can share one NATS without hearing each other.
 * Handlers use `@MessagePattern(Queries.X)` as usual.
 */
export class NamespacedNatsServer extends ServerNats {
  private readonly queryLogger = new Logger(NamespacedNatsServer.name);

  constructor(
    private readonly namespace: string,
    private readonly settings: NatsConnectionSettings,
    options: QueryTransportOptions = {},
  ) {
    super({ ...options, ...natsConnectionOptions(settings) });
  }

  /** Nest's connect, with a failure saying what to fix (credentials, TLS, certificates). */
  override async createNatsClient(): Promise<NatsConnection> {
    try {
      return (await super.createNatsClient()) as NatsConnection;
    } catch (err) {
      throw explainConnectFailure(err, this.settings);
    }
  }

  // Nest types the NATS client as `any` (nats is its optional peer): it is a nats.js connection.
  override bindEvents(client: NatsConnection): void {
    const queue = this.getOptionsProp((this as unknown as { options: NatsTransportOptions }).options, 'queue');
    for (const channel of this.messageHandlers.keys()) {
      const subject = `${this.namespace}.${channel}`;
      const handle = this.getMessageHandler(channel).bind(this) as (err: Error | null, msg: Msg) => void;
      const sub: Subscription = client.subscribe(subject, {
        queue,
        callback: (err, msg) => {
          // A query arrives on its own subject. A JetStream push consumer delivers a stored
          // message with that message's subject, and anyone who may create consumers can aim
          // one at this subject (nats-server checks no permission on the deliver subject):
          // such a message is no query and is dropped.
          if (!err && msg.subject !== subject) {
            this.queryLogger.warn(`dropped a message of ${msg.subject} pushed to ${subject}: not a query`);
            return;
          }
          handle(err, msg);
        },
      });
      (this as unknown as { subscriptions: unknown[] }).subscriptions.push(sub);
    }
  }
}

/** Client side of NamespacedNatsServer: sends a query and awaits the reply. */
export class QueryClient {
  private readonly logger = new Logger(QueryClient.name);
  private readonly client: ClientNats;

  constructor(
    private readonly namespace: string,
    settings: NatsConnectionSettings,
    options: QueryTransportOptions = {},
  ) {
    const ns = namespace;
    this.client = new (class extends ClientNats {
      protected override normalizePattern(pattern: unknown): string {
        return `${ns}.${super.normalizePattern(pattern as string)}`;
      }
      // Nest's connect, with a failure saying what to fix (credentials, TLS, certificates).
      override async createClient(): Promise<NatsConnection> {
        try {
          return (await super.createClient()) as NatsConnection;
        } catch (err) {
          throw explainConnectFailure(err, settings);
        }
      }
    })({ ...options, ...natsConnectionOptions(settings) });
  }

  /** Sends a query; rejects with the handler's error or after timeoutMs. */
  async send<T>(query: Query, payload: unknown, timeoutMs = 10000): Promise<T> {
    try {
      return await firstValueFrom(this.client.send<T>(query, payload).pipe(timeout(timeoutMs)));
    } catch (err) {
      this.logger.debug(`${this.namespace}.${query} failed: ${(err as Error).message ?? err}`);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Closes the connection when the Nest app that provides it shuts down. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
