import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { parseEvent, Streams, deadLetterSubject, type CloudEvent, type Subject } from '@lockstep/contracts';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { NatsClient } from './nats-client';
import { ensureConsumer, ensureStreams } from './jetstream-topology';
import { ON_EVENT_METADATA, type HandlerOutcome } from './on-event.decorator';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { extractTraceContext } from '@lockstep/telemetry';

type Handler = (event: CloudEvent) => Promise<HandlerOutcome | void> | HandlerOutcome | void;

/** A service's declared subjects and its @OnEvent handlers disagree. */
export class HandlerRegistrationError extends Error {
  override name = 'HandlerRegistrationError';
}

/**
 * Finds @OnEvent handlers, checks each declared subject has exactly one, creates the
 * streams and durable consumers, and runs the consume loops. On shutdown it stops pulling
 * and waits for in-flight handlers to finish before the connection drains.
 */
@Injectable()
export class EventConsumerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventConsumerHost.name);
  private readonly loops: { messages: ConsumerMessages; done: Promise<void> }[] = [];
  private stopping = false;

  constructor(
    private readonly nats: NatsClient,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.nats.connect();
    const { replicas, namespace } = this.nats.options;
    await ensureStreams(this.nats.jsm, namespace, replicas);
    const handlers = this.findHandlers();
    for (const [subject, handler] of handlers) await this.start(subject, handler);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const loop of this.loops) await loop.messages.close().catch(() => undefined);
    await Promise.all(this.loops.map((l) => l.done));
  }

  /** Maps subjects to handlers and enforces the one-handler-per-declared-subject rule. */
  private findHandlers(): Map<Subject, Handler> {
    const found = new Map<Subject, Handler[]>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance);
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const subject = this.reflector.get<Subject | undefined>(ON_EVENT_METADATA, proto[name]);
        if (!subject) continue;
        const fn = (instance[name] as Handler).bind(instance);
        found.set(subject, [...(found.get(subject) ?? []), fn]);
      }
    }
    const declared = new Set(this.nats.options.handles);
    const problems: string[] = [];
    for (const s of declared) {
      const n = found.get(s)?.length ?? 0;
      if (n !== 1) problems.push(`${s} has ${n} handlers (needs exactly one)`);
    }
    for (const s of found.keys()) if (!declared.has(s)) problems.push(`${s} has a handler but the service does not declare it`);
    if (problems.length) throw new HandlerRegistrationError(`${this.nats.options.service}: ${problems.join('; ')}`);
    return new Map([...found].map(([s, h]) => [s, h[0]!]));
  }

  private async start(subject: Subject, handler: Handler): Promise<void> {
    const stream = this.nats.stream(Streams.Events.name);
    const durable = `${this.nats.options.service}-${subject.replace(/[.>*]/g, '_')}`;
    const { maxDeliver, ackWaitMs } = this.nats.options;
    await ensureConsumer(this.nats.jsm, stream, durable, this.nats.subject(subject), { maxDeliver, ackWaitMs });
    const consumer = await this.nats.js.consumers.get(stream, durable);
    // Short pull expiry: missed heartbeats reveal a dead server within seconds, not 30 s.
    const messages = await consumer.consume({ max_messages: 64, expires: 5000 });
    const done = (async () => {
      for await (const msg of messages) {
        if (this.stopping) {
          msg.nak();
          continue;
        }
        await this.dispatch(subject, msg, handler);
      }
    })().catch((err) => this.logger.error(`consumer ${durable} stopped: ${(err as Error).message}`));
    this.loops.push({ messages, done });
  }

  private async dispatch(subject: Subject, msg: JsMsg, handler: Handler): Promise<void> {
    let event: CloudEvent;
    try {
      event = parseEvent(subject, msg.json());
    } catch (err) {
      await this.deadLetter(subject, msg, `invalid message: ${(err as Error).message}`);
      return;
    }
    const tracer = trace.getTracer('lockstep-messaging');
    const parent = extractTraceContext(msg.headers);
    const span = tracer.startSpan(`process ${subject}`, { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': msg.subject, 'cloudevents.event_id': event.id, 'messaging.message.delivery_count': msg.info.deliveryCount } }, parent);
    let outcome: HandlerOutcome;
    try {
      outcome = (await context.with(trace.setSpan(parent, span), () => handler(event))) ?? { kind: 'ack' };
    } catch (err) {
      span.recordException(err as Error);
      outcome = { kind: 'retry', reason: (err as Error).message };
    }
    span.setAttribute('lockstep.outcome', outcome.kind);
    if (outcome.kind !== 'ack') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
    span.end();
    await this.settle(subject, msg, outcome);
  }

  private async settle(subject: Subject, msg: JsMsg, outcome: HandlerOutcome): Promise<void> {
    if (outcome.kind === 'ack') {
      await msg.ackAck().catch(() => msg.ack());
      return;
    }
    if (outcome.kind === 'dead-letter' || msg.info.deliveryCount >= this.nats.options.maxDeliver) {
      await this.deadLetter(subject, msg, outcome.reason);
      return;
    }
    const backoff = this.nats.options.redeliveryBackoffMs;
    const delay = outcome.delayMs ?? backoff[Math.min(msg.info.deliveryCount - 1, backoff.length - 1)];
    this.logger.warn(`${subject} delivery ${msg.info.deliveryCount} failed, retry in ${delay}ms: ${outcome.reason}`);
    msg.nak(delay);
  }

  /** Moves a message to the dead-letter stream with the reason, then terminates it. */
  private async deadLetter(subject: string, msg: JsMsg, reason: string): Promise<void> {
    const h = msg.headers ?? natsHeaders();
    h.set('Lockstep-Dead-Letter-Reason', reason.slice(0, 1000));
    h.set('Lockstep-Original-Subject', msg.subject);
    await this.nats.js.publish(this.nats.subject(deadLetterSubject(subject)), msg.data, { headers: h, msgID: `dlq-${msg.info.stream}-${msg.seq}` });
    this.logger.error(`${subject} message ${msg.seq} dead-lettered: ${reason}`);
    msg.term(reason);
  }
}
