import { NodeSubjects, deadLetterSubject } from '@lockstep/contracts';
import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, nanos } from '@nats-io/nats-core';
import { extractTraceContext } from '@lockstep/telemetry';
import type { NodeAgent } from '../node-agent';
import type { AgentLogger } from '../support/logger';

/** Durable consumer name of a node's agent. */
export const agentConsumerName = (nodeId: string): string => `installer-${nodeId}`;

/** Options of the command consumer. */
export interface NodeCommandConsumerOptions {
  namespace: string;
  nodeId: string;
  /** How long the server waits for an ack before redelivering; the agent signals progress every third of it. */
  ackWaitMs: number;
}

/**
 * Pulls this node's commands (`<ns>.cmd.node.<id>.>` in `<NS>_COMMANDS`) through its own
 * durable consumer `installer-<id>` with explicit acks, one message at a time. A message is
 * acked only once the agent recorded and published its outcome; while it works, the agent
 * tells the server it is still in progress. Commands of other kinds under the node's prefix
 * (not install.v1) are acked and left to their own consumers.
 */
export class NodeCommandConsumer {
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly agent: NodeAgent,
    private readonly options: NodeCommandConsumerOptions,
    private readonly logger: AgentLogger,
  ) {}

  private get stream(): string {
    return `${this.options.namespace.toUpperCase()}_COMMANDS`;
  }
  private get durable(): string {
    return agentConsumerName(this.options.nodeId);
  }

  /**
   * Creates the durable consumer when missing. It starts with commands published from now on
   * (DeliverPolicy.New): a node never acts on commands sent before it first registered.
   */
  async ensure(): Promise<void> {
    const config = {
      durable_name: this.durable,
      filter_subject: `${this.options.namespace}.${NodeSubjects.allFor(this.options.nodeId)}`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      ack_wait: nanos(this.options.ackWaitMs),
      max_deliver: -1,
      // More than one: a message left unacked by a killed agent must not block newer commands
      // until its ack wait expires. The agent still handles one command at a time, and the
      // journal answers (or refuses as superseded) such a message when it comes back.
      max_ack_pending: 64,
    };
    try {
      await this.jsm.consumers.info(this.stream, this.durable);
      await this.jsm.consumers.update(this.stream, this.durable, { ack_wait: config.ack_wait, max_deliver: -1, max_ack_pending: config.max_ack_pending });
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) throw err;
      await this.jsm.consumers.add(this.stream, config);
    }
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
    while (!this.stopping) {
      try {
        const consumer = await this.js.consumers.get(this.stream, this.durable);
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
        this.logger.error(`command consumer ${this.durable} stopped (${(err as Error).message}); starting again in 1 s`);
        await new Promise((r) => setTimeout(r, 1000));
        await this.ensure().catch(() => undefined);
      }
    }
  }

  private async dispatch(msg: JsMsg): Promise<void> {
    const installSubject = `${this.options.namespace}.${NodeSubjects.install(this.options.nodeId)}`;
    if (msg.subject !== installSubject) {
      this.logger.debug?.(`ignoring ${msg.subject}: not an install command`);
      msg.ack();
      return;
    }
    let raw: unknown;
    try {
      raw = msg.json();
    } catch (err) {
      await this.deadLetter(msg, `not JSON: ${(err as Error).message}`);
      return;
    }
    const working = setInterval(() => msg.working(), Math.max(1000, Math.floor(this.options.ackWaitMs / 3)));
    try {
      const result = await this.agent.handle(raw, msg.seq, extractTraceContext(msg.headers), msg.redelivered);
      if (result.kind === 'ack') await msg.ackAck().catch(() => msg.ack());
      else if (result.kind === 'invalid') await this.deadLetter(msg, result.reason);
      else msg.nak();
    } catch (err) {
      this.logger.error(`command ${msg.seq} failed unexpectedly (${(err as Error).message}); it will be redelivered`);
      msg.nak(5000);
    } finally {
      clearInterval(working);
    }
  }

  /** Copies a message that is no command to `dlq.<subject>` with the reason, then terminates it. */
  private async deadLetter(msg: JsMsg, reason: string): Promise<void> {
    const relative = msg.subject.slice(this.options.namespace.length + 1);
    const h = msg.headers ?? natsHeaders();
    h.set('Lockstep-Dead-Letter-Reason', reason.slice(0, 1000));
    h.set('Lockstep-Original-Subject', msg.subject);
    await this.js.publish(`${this.options.namespace}.${deadLetterSubject(relative)}`, msg.data, { headers: h, msgID: `dlq-${msg.info.stream}-${msg.seq}` }).catch((err: Error) => this.logger.error(`dead letter not stored: ${err.message}`));
    this.logger.error(`command message ${msg.seq} dead-lettered: ${reason}`);
    msg.term(reason);
  }
}
