import {
  createEvent,
  eventWireSubject,
  Subjects,
  type InstallFinishedV1,
  type InstallProgressV1,
} from '@lockstep/contracts';
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { injectTraceContext } from '@lockstep/telemetry';
import type { Context } from '@opentelemetry/api';
import type { InstallEventSink } from '../node-agent';

/**
 * Publishes install progress and outcomes as CloudEvents to the EVENTS stream, on the node's
 * own subjects (`<subject>.<nodeId>`, the only ones its NATS user may publish to), with
 * `Nats-Msg-Id` = event id and the command's trace context in the headers (W3C traceparent),
 * so a rollout's events stay in one trace.
 */
export class JetStreamInstallEvents implements InstallEventSink {
  constructor(
    private readonly js: JetStreamClient,
    private readonly namespace: string,
    private readonly source = '/lockstep/installer',
  ) {}

  async progress(event: InstallProgressV1, ctx: Context): Promise<void> {
    const ev = createEvent(Subjects.InstallProgress, event, { source: this.source, subject: event.nodeId });
    await this.js.publish(
      `${this.namespace}.${eventWireSubject(Subjects.InstallProgress, event.nodeId)}`,
      JSON.stringify(ev),
      {
        msgID: ev.id,
        headers: injectTraceContext(headers(), ctx),
        timeout: 5000,
      },
    );
  }

  async finished(event: InstallFinishedV1, eventId: string, ctx: Context): Promise<void> {
    const ev = createEvent(Subjects.InstallFinished, event, {
      source: this.source,
      subject: event.nodeId,
      id: eventId,
    });
    await this.js.publish(
      `${this.namespace}.${eventWireSubject(Subjects.InstallFinished, event.nodeId)}`,
      JSON.stringify(ev),
      {
        msgID: ev.id,
        headers: injectTraceContext(headers(), ctx),
        timeout: 5000,
      },
    );
  }
}
