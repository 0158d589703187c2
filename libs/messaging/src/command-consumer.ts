import { DeadLetterHeaders, deadLetterSubject, NodeConsumers, NodeSubjects } from '@lockstep/contracts';
import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { headers as natsHeaders, nanos } from '@nats-io/nats-core';
import { deadLetterMsgId } from './dead-letter-msg-id';

/** What a command handler decided: settle it, try again later, or dead-letter it as no valid command. */
export type CommandOutcome = { kind: 'ack' } | { kind: 'nak'; delayMs?: number } | { kind: 'invalid'; reason: string };

/** Where a command consumer pulls from and how. */
export interface CommandConsumerOptions {
  namespace: string;
  /** Who consumes (`backup`, `agent-<nodeId>`): named in the dead letters it writes. */
  service?: string;
  /** Stream name, e.g. `LOCKSTEP_COMMANDS`. */
  stream: string;
  durable: string;
  /** Absolute (namespaced) filter subject. */
  filterSubject: string;
  /** `new`: only commands published after the consumer was first created. */
  deliverPolicy: 'all' | 'new';
  /** How long the server waits for an ack before redelivering; the handler's message is marked in progress every third of it. */
  ackWaitMs: number;
  /** Unacked messages the server hands out (more than one, so a killed holder's message does not block newer ones). */
  maxAckPending: number;
  /**
   * `create` (default): this process creates or updates the durable consumer. `await`: the
   * control plane creates it (a node agent may not create consumers); `ensure()` waits for it
   * and takes its ack wait from the server.
   */
  consumer?: 'create' | 'await';
}

/** The durable consumer a process only uses does not exist (yet). */
export class ConsumerMissingError extends Error {
  override name = 'ConsumerMissingError';
}

/** Minimal logger the consumer reports to. */
export interface CommandConsumerLogger {
  error(message: string): void;
  log?(message: string): void;
  debug?(message: string): void;
}

/**
 * Pulls commands through one durable JetStream consumer with explicit acks, one message at a
 * time. While the handler works the message is marked in progress, so a long operation is
 * not redelivered; a handler that throws gets the message redelivered after 5 s; a message
 * that is no valid command is copied to `dlq.<subject>` with the reason and terminated.
 */
export class CommandConsumer {
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private stopping = false;
  /** The server's ack wait for this consumer (ms): the in-progress signal goes out every third of it. */
  private ackWaitMs: number;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: CommandConsumerOptions,
    private readonly handle: (msg: JsMsg) => Promise<CommandOutcome>,
    private readonly logger: CommandConsumerLogger,
  ) {
    this.ackWaitMs = options.ackWaitMs;
  }

  /**
   * Creates the durable consumer when missing, or updates its ack wait and limits; with
   * `consumer: 'await'`, only checks that it exists (ConsumerMissingError when not).
   */
  async ensure(): Promise<void> {
    const o = this.options;
    if (o.consumer === 'await') {
      try {
        const info = await this.jsm.consumers.info(o.stream, o.durable);
        this.ackWaitMs = Math.round((info.config.ack_wait ?? 0) / 1_000_000) || o.ackWaitMs;
        return;
      } catch (err) {
        if (!/not found/i.test((err as Error).message)) throw err;
        throw new ConsumerMissingError(`consumer ${o.durable} on ${o.stream} does not exist yet`, { cause: err });
      }
    }
    await createCommandConsumer(this.jsm, o);
  }

  /** Starts pulling in the background (not after halt()). */
  start(): void {
    if (!this.stopping) this.loop = this.run();
  }

  /** Stops pulling more messages; the one in hand is still being handled. */
  halt(): void {
    this.stopping = true;
    void this.messages?.close().catch(() => undefined);
  }

  /** halt(), then waits for the message in hand to be settled. */
  async stop(): Promise<void> {
    this.halt();
    await this.loop;
  }

  private async run(): Promise<void> {
    let waitingSaid = false;
    while (!this.stopping) {
      try {
        if (this.options.consumer === 'await') await this.ensure();
        const consumer = await this.js.consumers.get(this.options.stream, this.options.durable);
        // Short pull expiry: heartbeats every few seconds notice a dead server (cluster failover) quickly.
        this.messages = await consumer.consume({ max_messages: 1, expires: 5000 });
        if (this.stopping) await this.messages.close();
        for await (const msg of this.messages) {
          if (this.stopping) {
            msg.nak();
            continue;
          }
          await this.dispatch(msg);
        }
      } catch (err) {
        if (this.stopping) break;
        if (err instanceof ConsumerMissingError) {
          // Normal until the scheduler sends this node its first command (it creates the consumer then).
          if (!waitingSaid)
            this.logger.log?.(
              `${err.message}: waiting for the control plane to create it (the scheduler does before its first command to this node)`,
            );
          waitingSaid = true;
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        this.logger.error(
          `command consumer ${this.options.durable} stopped (${(err as Error).message}); starting again in 1 s`,
        );
        await new Promise((r) => setTimeout(r, 1000));
        await this.ensure().catch(() => undefined);
      }
    }
  }

  private async dispatch(msg: JsMsg): Promise<void> {
    const working = setInterval(() => msg.working(), Math.max(1000, Math.floor(this.ackWaitMs / 3)));
    try {
      const result = await this.handle(msg);
      if (result.kind === 'ack') await msg.ackAck().catch(() => msg.ack());
      else if (result.kind === 'invalid') await this.deadLetter(msg, result.reason);
      else msg.nak(result.delayMs);
    } catch (err) {
      this.logger.error(
        `command ${msg.seq} on ${msg.subject} failed unexpectedly (${(err as Error).message}); it will be redelivered`,
      );
      msg.nak(5000);
    } finally {
      clearInterval(working);
    }
  }

  /** Copies a message that is no command to `dlq.<subject>` with the reason, then terminates it. */
  private async deadLetter(msg: JsMsg, reason: string): Promise<void> {
    const relative = msg.subject.slice(this.options.namespace.length + 1);
    const h = msg.headers ?? natsHeaders();
    h.set(DeadLetterHeaders.Reason, reason.slice(0, 1000));
    h.set(DeadLetterHeaders.OriginalSubject, msg.subject);
    h.set(DeadLetterHeaders.Service, this.options.service ?? this.options.durable);
    await this.js
      .publish(`${this.options.namespace}.${deadLetterSubject(relative)}`, msg.data, {
        headers: h,
        msgID: deadLetterMsgId(msg.info.stream, msg.seq, msg.data),
      })
      .catch((err: Error) => this.logger.error(`dead letter not stored: ${err.message}`));
    this.logger.error(`command message ${msg.seq} dead-lettered: ${reason}`);
    msg.term(reason);
  }
}

/** Creates a durable command consumer when missing, or updates its ack wait and limits. */
export async function createCommandConsumer(jsm: JetStreamManager, o: CommandConsumerOptions): Promise<void> {
  const config = {
    durable_name: o.durable,
    filter_subject: o.filterSubject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: o.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
    ack_wait: nanos(o.ackWaitMs),
    max_deliver: -1,
    max_ack_pending: o.maxAckPending,
  };
  try {
    await jsm.consumers.info(o.stream, o.durable);
    await jsm.consumers.update(o.stream, o.durable, {
      ack_wait: config.ack_wait,
      max_deliver: -1,
      max_ack_pending: config.max_ack_pending,
    });
  } catch (err) {
    if (!/not found/i.test((err as Error).message)) throw err;
    await jsm.consumers.add(o.stream, config);
  }
}

/** Default ack wait of a node's command consumer: the agent signals progress every third of it. */
export const NODE_COMMAND_ACK_WAIT_MS = 30_000;

/**
 * The durable consumer through which one node's agent pulls its commands: every command
 * under `cmd.node.<id>.` published after it was created (DeliverPolicy.New), more than one
 * unacked message handed out (so a message left unacked by a killed agent does not block
 * newer ones until its ack wait expires). The scheduler creates it; the agent only uses it.
 */
export const nodeCommandConsumerOptions = (
  namespace: string,
  nodeId: string,
  ackWaitMs = NODE_COMMAND_ACK_WAIT_MS,
): CommandConsumerOptions => ({
  namespace,
  stream: `${namespace.toUpperCase()}_COMMANDS`,
  durable: NodeConsumers.installer(nodeId),
  filterSubject: `${namespace}.${NodeSubjects.allFor(nodeId)}`,
  deliverPolicy: 'new',
  ackWaitMs,
  maxAckPending: 64,
});
