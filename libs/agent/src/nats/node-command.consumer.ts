import { NodeSubjects } from '@lockstep/contracts';
import { CommandConsumer, nodeCommandConsumerOptions, type CommandOutcome } from '@lockstep/messaging';
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { extractTraceContext } from '@lockstep/telemetry';
import type { NodeAgent } from '../node-agent';
import type { AgentLogger } from '../support/logger';

/** How long a command waits before it is judged again when the lock could not be read. */
export const LOCK_RETRY_MS = 2000;

/** Options of the command consumer. */
export interface NodeCommandConsumerOptions {
  namespace: string;
  nodeId: string;
  /** Ack wait assumed until the consumer's own is read (the scheduler sets it when it creates the consumer). */
  ackWaitMs?: number;
  /** Redelivery delay of a command whose lock could not be read (default LOCK_RETRY_MS). */
  lockRetryMs?: number;
}

/**
 * Pulls this node's commands (`<ns>.cmd.node.<id>.>` in `<NS>_COMMANDS`) through its own
 * durable consumer `installer-<id>` with explicit acks, one message at a time. A message is
 * acked only once the agent recorded and published its outcome; while it works, the agent
 * tells the server it is still in progress. Commands of other kinds under the node's prefix
 * (not install.v1) are acked and left to their own consumers.
 *
 * The scheduler creates the consumer before its first command to the node (the agent's NATS
 * user may not create consumers; until then the agent waits for it). It starts with commands
 * published from then on (DeliverPolicy.New). It hands out more than one unacked
 * message, so a message left unacked by a killed agent does not block newer commands until
 * its ack wait expires; the agent still handles one at a time, and the journal answers (or
 * refuses as superseded) such a message when it comes back.
 */
export class NodeCommandConsumer extends CommandConsumer {
  constructor(
    js: JetStreamClient,
    jsm: JetStreamManager,
    agent: NodeAgent,
    options: NodeCommandConsumerOptions,
    logger: AgentLogger,
  ) {
    const installSubject = `${options.namespace}.${NodeSubjects.install(options.nodeId)}`;
    const handle = async (msg: JsMsg): Promise<CommandOutcome> => {
      if (msg.subject !== installSubject) {
        logger.debug?.(`ignoring ${msg.subject}: not an install command`);
        return { kind: 'ack' };
      }
      let raw: unknown;
      try {
        raw = msg.json();
      } catch (err) {
        return { kind: 'invalid', reason: `not JSON: ${(err as Error).message}` };
      }
      const result = await agent.handle(raw, msg.seq, extractTraceContext(msg.headers), msg.redelivered);
      switch (result.kind) {
        case 'ack':
          return { kind: 'ack' };
        case 'invalid':
          return { kind: 'invalid', reason: result.reason };
        case 'wait':
          return { kind: 'nak', delayMs: options.lockRetryMs ?? LOCK_RETRY_MS };
        case 'interrupted':
          return { kind: 'nak' };
      }
    };
    super(
      js,
      jsm,
      // created by the scheduler (a node's NATS user may not create consumers); the agent takes its ack wait from it
      {
        ...nodeCommandConsumerOptions(options.namespace, options.nodeId, options.ackWaitMs),
        consumer: 'await',
        service: `agent-${options.nodeId}`,
      },
      handle,
      logger,
    );
  }
}
