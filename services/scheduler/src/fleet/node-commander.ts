import { Injectable } from '@nestjs/common';
import { NodeSubjects, type InstallCommandV1 } from '@lockstep/contracts';
import { createCommandConsumer, namespaceStreams, nodeCommandConsumerOptions, NatsClient } from '@lockstep/messaging';
import { injectTraceContext } from '@lockstep/telemetry';
import { headers as natsHeaders } from '@nats-io/nats-core';

/**
 * Sends commands to node agents through JetStream, deduplicated by command id. Before each
 * command it makes sure the node's durable consumer (`installer-<id>`) exists: a node's NATS
 * user may only use that consumer, and it delivers commands published after it exists, so it
 * must exist before the command is published.
 */
@Injectable()
export class NodeCommander {
  constructor(private readonly nats: NatsClient) {}

  /** Publishes `cmd` to its node; returns its sequence in the COMMANDS stream (what withdraw() takes). */
  async send(cmd: InstallCommandV1): Promise<number> {
    await this.ensureConsumer(cmd.nodeId);
    const ack = await this.nats.js.publish(this.nats.subject(NodeSubjects.install(cmd.nodeId)), JSON.stringify(cmd), {
      msgID: cmd.commandId,
      headers: injectTraceContext(natsHeaders()),
      timeout: 5000,
    });
    return ack.seq;
  }

  /**
   * Withdraws the command at stream sequence `seq`: deletes it from COMMANDS, so an agent that
   * has not received it yet never will. A message gone already (deleted, aged out) counts as
   * withdrawn; any other failure (NATS down) throws, and the caller tries again later.
   */
  async withdraw(seq: number): Promise<void> {
    const stream = namespaceStreams(this.nats.options.namespace).commands;
    try {
      await this.nats.jsm.streams.deleteMessage(stream, seq, false);
    } catch (err) {
      if (/no message found|message not found/i.test((err as Error).message)) return;
      throw err;
    }
  }

  /** Deletes the node's command consumer, so no command waits for a node that is gone; false when there was none. */
  async removeConsumer(nodeId: string): Promise<boolean> {
    const options = nodeCommandConsumerOptions(this.nats.options.namespace, nodeId);
    try {
      return await this.nats.jsm.consumers.delete(options.stream, options.durable);
    } catch (err) {
      if (/not found/i.test((err as Error).message)) return false;
      throw err;
    }
  }

  /**
   * Looks the node's command consumer up before every command (one request) and creates it
   * when missing: a consumer someone deleted is made again rather than remembered as there.
   */
  private async ensureConsumer(nodeId: string): Promise<void> {
    const options = nodeCommandConsumerOptions(this.nats.options.namespace, nodeId);
    try {
      await this.nats.jsm.consumers.info(options.stream, options.durable);
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) throw err;
      await createCommandConsumer(this.nats.jsm, options);
    }
  }
}
