import { Injectable } from '@nestjs/common';
import {
  contractFor,
  createEvent,
  eventWireSubject,
  type CloudEvent,
  type PayloadOf,
  type Subject,
} from '@lockstep/contracts';
import type { MsgHdrs } from '@nats-io/nats-core';
import { NatsClient } from './nats-client';
import { injectTraceContext } from '@lockstep/telemetry';
import { headers as natsHeaders } from '@nats-io/nats-core';

/**
 * Publishes CloudEvents to JetStream with `Nats-Msg-Id` = event id, so a re-publish of
 * the same event (after a crash, by another replica) is dropped by the stream.
 * State changes should go through the outbox instead; this is for the relay and for
 * events that announce no state change.
 */
@Injectable()
export class EventPublisher {
  constructor(private readonly nats: NatsClient) {}

  /** The service it publishes as (the events' source). */
  get service(): string {
    return this.nats.options.service;
  }

  /** Validates, wraps and publishes a payload; resolves once JetStream stored it. */
  async publish<S extends Subject>(
    subject: S,
    data: PayloadOf<S>,
    options: { subject?: string; id?: string } = {},
  ): Promise<CloudEvent<PayloadOf<S>>> {
    const event = createEvent(subject, data, { source: `/lockstep/${this.nats.options.service}`, ...options });
    await this.publishEvent(subject, event, injectTraceContext(natsHeaders()));
    return event;
  }

  /** Publishes an already-built event (the outbox relay's path). Returns true when it was a duplicate. */
  async publishEvent(subject: string, event: CloudEvent, headers?: MsgHdrs): Promise<boolean> {
    return this.publishMessage(subject, event, event.id, headers);
  }

  /** Publishes any JSON body (an event or a command) with `msgId` as Nats-Msg-Id. Returns true when it was a duplicate. */
  async publishMessage(subject: string, body: unknown, msgId: string, headers?: MsgHdrs): Promise<boolean> {
    // a per-node event the control plane publishes goes on its `._control` subject
    const wire = contractFor(subject)?.perNode ? eventWireSubject(subject as Subject) : subject;
    const ack = await this.nats.js.publish(this.nats.subject(wire), JSON.stringify(body), {
      msgID: msgId,
      headers,
      timeout: 5000,
    });
    return ack.duplicate;
  }
}
