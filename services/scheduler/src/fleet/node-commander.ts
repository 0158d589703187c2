import { Injectable } from '@nestjs/common';
import { NodeSubjects, type InstallCommandV1 } from '@lockstep/contracts';
import { createCommandConsumer, nodeCommandConsumerOptions, NatsClient } from '@lockstep/messaging';
import { injectTraceContext } from '@lockstep/telemetry';
import { headers as natsHeaders } from '@nats-io/nats-core';

/**
 * Sends commands to node agents through JetStream, deduplicated by command id. Before its
 * first command to a node it creates the node's durable consumer (`installer-<id>`): a node's
 * NATS user may only use that consumer, and it delivers commands published after it exists,
 * so it must exist before the command is published.
 */
@Injectable()
export class NodeCommander {
  private readonly consumers = new Map<string, Promise<void>>();

  constructor(private readonly nats: NatsClient) {}

  async send(cmd: InstallCommandV1): Promise<void> {
    await this.ensureConsumer(cmd.nodeId);
    await this.nats.js.publish(this.nats.subject(NodeSubjects.install(cmd.nodeId)), JSON.stringify(cmd), {
      msgID: cmd.commandId,
      headers: injectTraceContext(natsHeaders()),
      timeout: 5000,
    });
  }

  /** Creates the node's command consumer once per process (again after a failure). */
  private ensureConsumer(nodeId: string): Promise<void> {
    let ensured = this.consumers.get(nodeId);
    if (!ensured) {
      ensured = createCommandConsumer(
        this.nats.jsm,
        nodeCommandConsumerOptions(this.nats.options.namespace, nodeId),
      ).catch((err: Error) => {
        this.consumers.delete(nodeId);
        throw err;
      });
      this.consumers.set(nodeId, ensured);
    }
    return ensured;
  }
}
