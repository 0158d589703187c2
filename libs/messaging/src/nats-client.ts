import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { MESSAGING_OPTIONS, resolveOptions, type MessagingOptions } from './messaging.options';
import {
  classifyConnectFailure,
  explainConnectFailure,
  MessagingUnavailableError,
  NatsFailures,
} from './nats-connect-failure';
import { connectNats } from './nats-connection';

/**
 * Connection settings every Lockstep process uses. `noAsyncTraces`: nats.js otherwise builds
 * two Error objects (stack traces) for every request, JetStream publish and confirmed ack, in
 * case it times out; with thousands of progress events per rollout that was the largest part
 * of the scheduler's and the agents' CPU. Our own errors say which operation failed.
 */
export const NATS_CONNECTION_DEFAULTS = {
  maxReconnectAttempts: -1,
  reconnectTimeWait: 250,
  timeout: 5000,
  noAsyncTraces: true,
} as const;

/** One NATS connection per process, shared by publishers, consumers and the lock. */
@Injectable()
export class NatsClient implements OnApplicationShutdown {
  private readonly logger = new Logger(NatsClient.name);
  private connection?: NatsConnection;
  private jsClient?: JetStreamClient;
  private jsManager?: JetStreamManager;
  readonly options: Required<MessagingOptions>;

  constructor(@Inject(MESSAGING_OPTIONS) options: MessagingOptions) {
    this.options = resolveOptions(options);
  }

  private connecting?: Promise<void>;

  /** Connects (once, however many callers race). Keeps reconnecting forever after the first success. */
  connect(): Promise<void> {
    this.connecting ??= this.doConnect().catch((err) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    const nc = await connectNats(this.options.connection, {
      name: `lockstep-${this.options.service}`,
      ...NATS_CONNECTION_DEFAULTS,
    });
    try {
      this.jsClient = jetstream(nc);
      this.jsManager = await jetstreamManager(nc);
    } catch (err) {
      // The first JetStream call is where a user without permissions on $JS.API.> (or its inbox) fails.
      await nc.close().catch(() => undefined);
      throw explainConnectFailure(err, this.options.connection);
    }
    this.connection = nc;
    void this.watchStatus(nc);
  }

  get nc(): NatsConnection {
    if (!this.connection) throw new MessagingUnavailableError(NatsFailures.NotConnected, 'NATS is not connected yet');
    return this.connection;
  }
  get js(): JetStreamClient {
    if (!this.jsClient) throw new MessagingUnavailableError(NatsFailures.NotConnected, 'NATS is not connected yet');
    return this.jsClient;
  }
  get jsm(): JetStreamManager {
    if (!this.jsManager) throw new MessagingUnavailableError(NatsFailures.NotConnected, 'NATS is not connected yet');
    return this.jsManager;
  }

  /** Full wire subject for a namespace-relative one. */
  subject(relative: string): string {
    return `${this.options.namespace}.${relative}`;
  }
  /** Stream name for a logical stream. */
  stream(name: string): string {
    return `${this.options.namespace.toUpperCase()}_${name}`;
  }

  /** True when the connection is up and JetStream answers. */
  async isReady(): Promise<boolean> {
    if (!this.connection || this.connection.isClosed()) return false;
    try {
      await this.jsm.getAccountInfo();
      return true;
    } catch {
      return false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const nc = this.connection;
    this.connection = undefined;
    if (nc && !nc.isClosed()) {
      await nc.drain().catch(() => nc.close());
    }
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect') this.logger.warn(`nats ${s.type}`);
      // e.g. an expired creds JWT on reconnect, or a subject the user may not use: say which.
      else if (s.type === 'error')
        this.logger.error(`nats ${classifyConnectFailure(s.error)} error: ${s.error.message}`);
    }
  }
}
