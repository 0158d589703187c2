import { Injectable } from '@nestjs/common';
import { NodeSubjects, type InstallCommandV1 } from '@lockstep/contracts';
import { NatsClient } from '@lockstep/messaging';
import { injectTraceContext } from '@lockstep/telemetry';
import { headers as natsHeaders } from '@nats-io/nats-core';

/** Sends commands to node agents through JetStream, deduplicated by command id. */
@Injectable()
export class NodeCommander {
  constructor(private readonly nats: NatsClient) {}

  async send(cmd: InstallCommandV1): Promise<void> {
    await this.nats.js.publish(this.nats.subject(NodeSubjects.install(cmd.nodeId)), JSON.stringify(cmd), {
      msgID: cmd.commandId,
      headers: injectTraceContext(natsHeaders()),
      timeout: 5000,
    });
  }
}
