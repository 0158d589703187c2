import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import {
  DeadLetterHeaders,
  deadLetterSubject,
  eventFilterSubject,
  parseEvent,
  perNodeMismatch,
  Streams,
  Subjects,
  type CloudEvent,
  type Subject,
} from '@lockstep/contracts';
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { SpanKind, SpanStatusCode, context, trace, type Attributes } from '@opentelemetry/api';
import { DEAD_LETTER_RECORDER, type DeadLetterRecorder } from './dead-letter-recorder';
import { NatsClient } from './nats-client';
import { ensureConsumer, ensureStreams } from './jetstream-topology';
import { classifyFailure } from './outage';
import { ON_EVENT_METADATA, type HandlerOutcome, type OnEventMetadata } from './on-event.decorator';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { extractTraceContext } from '@lockstep/telemetry';
import { deadLetterMsgId } from './dead-letter-msg-id';
import { announceDeadLetter } from './dead-letter-alert';
import { EventPublisher } from './event-publisher';

type Handler = (event: CloudEvent) => Promise<HandlerOutcome | void> | HandlerOutcome | void;
type BatchHandler = (events: CloudEvent[]) => Promise<HandlerOutcome | void> | HandlerOutcome | void;

/** One @OnEvent method, bound to its instance. */
type Registration =
  { batch: false; call: Handler } | { batch: true; maxBatch: number; lingerMs: number; call: BatchHandler };

/** A validated event and the message that carried it. */
interface Delivery {
  msg: JsMsg;
  event: CloudEvent;
}

const DEFAULT_MAX_BATCH = 256;

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
  /**
   * Failures of the handlers themselves, per message (stream and sequence): deliveries spent
   * waiting out an outage do not count toward dead-lettering, lost database connections count
   * apart (see classifyFailure). Kept in memory: a restart starts a message's count again,
   * which retries more, never less.
   */
  private readonly ownFailures = new Map<string, { own: number; lost: number }>();

  constructor(
    private readonly nats: NatsClient,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @Optional() @Inject(DEAD_LETTER_RECORDER) private readonly recorder?: DeadLetterRecorder,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.nats.connect();
    const { replicas, namespace, topology } = this.nats.options;
    // The node and lock buckets are created by the services that use them (api, scheduler, backup).
    if (topology !== 'use') await ensureStreams(this.nats.jsm, namespace, replicas, { update: topology === 'manage' });
    const handlers = this.findHandlers();
    for (const [subject, handler] of handlers) await this.start(subject, handler);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const loop of this.loops) await loop.messages.close().catch(() => undefined);
    await Promise.all(this.loops.map((l) => l.done));
  }

  /** Maps subjects to handlers and enforces the one-handler-per-declared-subject rule. */
  private findHandlers(): Map<Subject, Registration> {
    const found = new Map<Subject, Registration[]>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance) as Record<string, (...args: never[]) => unknown>;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const meta = this.reflector.get<OnEventMetadata | undefined>(ON_EVENT_METADATA, proto[name]);
        if (!meta) continue;
        const fn = (instance[name] as (arg: never) => unknown).bind(instance);
        const reg: Registration = meta.batch
          ? {
              batch: true,
              maxBatch: Math.max(1, meta.maxBatch ?? DEFAULT_MAX_BATCH),
              lingerMs: Math.max(0, meta.lingerMs ?? 0),
              call: fn as BatchHandler,
            }
          : { batch: false, call: fn as Handler };
        found.set(meta.subject, [...(found.get(meta.subject) ?? []), reg]);
      }
    }
    const declared = new Set(this.nats.options.handles);
    const problems: string[] = [];
    for (const s of declared) {
      const n = found.get(s)?.length ?? 0;
      if (n !== 1) problems.push(`${s} has ${n} handlers (needs exactly one)`);
    }
    for (const s of found.keys())
      if (!declared.has(s)) problems.push(`${s} has a handler but the service does not declare it`);
    if (problems.length) throw new HandlerRegistrationError(`${this.nats.options.service}: ${problems.join('; ')}`);
    return new Map([...found].map(([s, h]) => [s, h[0]]));
  }

  private async start(subject: Subject, handler: Registration): Promise<void> {
    const stream = this.nats.stream(Streams.Events.name);
    const durable = `${this.nats.options.service}-${subject.replace(/[.>*]/g, '_')}`;
    const { ackWaitMs } = this.nats.options;
    await ensureConsumer(this.nats.jsm, stream, durable, this.nats.subject(eventFilterSubject(subject)), {
      ackWaitMs,
    });
    const consumer = await this.nats.js.consumers.get(stream, durable);
    if (handler.batch) {
      await this.startBatched(subject, durable, consumer, handler);
      return;
    }
    // Short pull expiry: missed heartbeats reveal a dead server within seconds, not 30 s.
    const messages = await consumer.consume({ max_messages: 64, expires: 5000 });
    const done = (async () => {
      for await (const msg of messages) {
        if (this.stopping) {
          msg.nak();
          continue;
        }
        await this.dispatch(subject, msg, handler.call);
      }
    })().catch((err) => this.logger.error(`consumer ${durable} stopped: ${(err as Error).message}`));
    this.loops.push({ messages, done });
  }

  /**
   * A batch handler's loop: messages are queued as they arrive (the pull keeps going while a
   * batch is handled) and each call takes everything queued, up to maxBatch, in stream order —
   * after lingering up to lingerMs for more when the queue is not full.
   */
  private async startBatched(
    subject: Subject,
    durable: string,
    consumer: Consumer,
    handler: Extract<Registration, { batch: true }>,
  ): Promise<void> {
    const queued: JsMsg[] = [];
    let arrived: (() => void) | undefined;
    let closed = false;
    const messages = await consumer.consume({
      max_messages: Math.max(64, handler.maxBatch),
      expires: 5000,
      callback: (msg) => {
        queued.push(msg);
        arrived?.();
      },
    });
    void messages.closed().then((err) => {
      if (err && !this.stopping) this.logger.error(`consumer ${durable} stopped: ${err.message}`);
      closed = true;
      arrived?.();
    });
    const done = (async () => {
      for (;;) {
        if (queued.length === 0) {
          if (closed) return;
          await new Promise<void>((resolve) => (arrived = resolve));
          arrived = undefined;
          continue;
        }
        if (handler.lingerMs > 0 && queued.length < handler.maxBatch && !closed && !this.stopping) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, handler.lingerMs);
            arrived = () => {
              if (!closed && queued.length < handler.maxBatch) return;
              clearTimeout(timer);
              resolve();
            };
          });
          arrived = undefined;
        }
        const batch = queued.splice(0, handler.maxBatch);
        if (this.stopping) {
          for (const msg of batch) msg.nak();
          continue;
        }
        await this.dispatchBatch(subject, batch, handler.call);
      }
    })().catch((err) => this.logger.error(`consumer ${durable} stopped: ${(err as Error).message}`));
    this.loops.push({ messages, done });
  }

  private async dispatch(subject: Subject, msg: JsMsg, handler: Handler): Promise<void> {
    const delivery = await this.validate(subject, msg);
    if (!delivery) return;
    await this.settle(subject, msg, await this.invoke(subject, [delivery], () => handler(delivery.event)));
  }

  /** One call for the whole batch; when it fails and held several events, each is handled again on its own. */
  private async dispatchBatch(subject: Subject, msgs: JsMsg[], handler: BatchHandler): Promise<void> {
    const deliveries: Delivery[] = [];
    for (const msg of msgs) {
      const d = await this.validate(subject, msg);
      if (d) deliveries.push(d);
    }
    if (deliveries.length === 0) return;
    const outcome = await this.invoke(subject, deliveries, () => handler(deliveries.map((d) => d.event)));
    if (outcome.kind === 'ack') {
      // One confirmed ack per batch: the server handles a connection's acks in order, so the
      // confirmation of the last covers the plain acks sent before it (a lost one would only
      // redeliver an event the handler has already applied). An ackAck per event cost this
      // process a request each, the largest part of the scheduler's CPU during a rollout.
      for (const d of deliveries.slice(0, -1)) d.msg.ack();
      await this.settle(subject, deliveries[deliveries.length - 1].msg, outcome);
      return;
    }
    if (deliveries.length === 1) {
      await this.settle(subject, deliveries[0].msg, outcome);
      return;
    }
    this.logger.warn(
      `${subject}: a batch of ${deliveries.length} failed (${outcome.reason}); handling its events one by one`,
    );
    for (const d of deliveries)
      await this.settle(subject, d.msg, await this.invoke(subject, [d], () => handler([d.event])));
  }

  /** Parses the message as the subject's CloudEvent; dead-letters it when it is none, or when an agent speaks for another node. */
  private async validate(subject: Subject, msg: JsMsg): Promise<Delivery | undefined> {
    let event: CloudEvent;
    try {
      event = parseEvent(subject, msg.json());
    } catch (err) {
      await this.deadLetter(subject, msg, `invalid message: ${(err as Error).message}`);
      return undefined;
    }
    const forged = perNodeMismatch(subject, msg.subject, event.data);
    if (forged) {
      await this.deadLetter(subject, msg, `refused: ${forged}`);
      return undefined;
    }
    return { msg, event };
  }

  /** Runs a handler call in a consumer span (child of the first event's trace, linked to the others'); a throw means retry. */
  private async invoke(
    subject: Subject,
    deliveries: Delivery[],
    call: () => Promise<HandlerOutcome | void> | HandlerOutcome | void,
  ): Promise<HandlerOutcome> {
    const tracer = trace.getTracer('lockstep-messaging');
    const [first, ...rest] = deliveries;
    const parent = extractTraceContext(first.msg.headers);
    const links = rest.flatMap((d) => {
      const sc = trace.getSpanContext(extractTraceContext(d.msg.headers));
      return sc ? [{ context: sc }] : [];
    });
    const attributes: Attributes = {
      'messaging.system': 'nats',
      'messaging.destination.name': first.msg.subject,
      'cloudevents.event_id': first.event.id,
      'messaging.message.delivery_count': first.msg.info.deliveryCount,
    };
    if (deliveries.length > 1) attributes['messaging.batch.message_count'] = deliveries.length;
    const span = tracer.startSpan(`process ${subject}`, { kind: SpanKind.CONSUMER, attributes, links }, parent);
    let outcome: HandlerOutcome;
    try {
      outcome = (await context.with(trace.setSpan(parent, span), call)) ?? { kind: 'ack' };
    } catch (err) {
      span.recordException(err as Error);
      const kind = classifyFailure(err);
      outcome = {
        kind: 'retry',
        reason: (err as Error).message,
        outage: kind === 'outage',
        connectionLost: kind === 'connection-lost',
      };
    }
    span.setAttribute('lockstep.outcome', outcome.kind);
    if (outcome.kind !== 'ack') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
    span.end();
    return outcome;
  }

  private async settle(subject: Subject, msg: JsMsg, outcome: HandlerOutcome): Promise<void> {
    const key = `${msg.info.stream}:${msg.seq}`;
    if (outcome.kind === 'ack') {
      this.ownFailures.delete(key);
      await msg.ackAck().catch(() => msg.ack());
      return;
    }
    // A dependency that is down (Postgres, NATS, S3) delays the work but never loses it: only the
    // handler's own failures and bad payloads count toward dead-lettering; a lost connection
    // counts toward a larger budget of its own.
    const before = this.ownFailures.get(key) ?? { own: 0, lost: 0 };
    const retry = outcome.kind === 'retry' ? outcome : undefined;
    const failures = {
      own: before.own + (retry?.outage || retry?.connectionLost ? 0 : 1),
      lost: before.lost + (retry?.connectionLost ? 1 : 0),
    };
    const { maxDeliver, maxConnectionLosses } = this.nats.options;
    if (outcome.kind === 'dead-letter' || failures.own >= maxDeliver || failures.lost >= maxConnectionLosses) {
      this.ownFailures.delete(key);
      await this.deadLetter(subject, msg, outcome.reason);
      return;
    }
    this.ownFailures.set(key, failures);
    const backoff = this.nats.options.redeliveryBackoffMs;
    const delay = outcome.delayMs ?? backoff[Math.min(msg.info.deliveryCount - 1, backoff.length - 1)];
    this.logger.warn(`${subject} delivery ${msg.info.deliveryCount} failed, retry in ${delay}ms: ${outcome.reason}`);
    msg.nak(delay);
  }

  /** Moves a message to the dead-letter stream with the reason, then terminates it. */
  private async deadLetter(subject: string, msg: JsMsg, reason: string): Promise<void> {
    const h = msg.headers ?? natsHeaders();
    h.set(DeadLetterHeaders.Reason, reason.slice(0, 1000));
    h.set(DeadLetterHeaders.OriginalSubject, msg.subject);
    h.set(DeadLetterHeaders.Service, this.nats.options.service);
    const msgId = deadLetterMsgId(msg.info.stream, msg.seq, msg.data);
    const stored = await this.nats.js.publish(this.nats.subject(deadLetterSubject(subject)), msg.data, {
      headers: h,
      msgID: msgId,
    });
    this.logger.error(`${subject} message ${msg.seq} dead-lettered: ${reason}`);
    // The move is a NATS write, not a database change, so the audit record cannot share its
    // transaction: it is written right after the copy is stored and before the original is
    // terminated (a crash in between redelivers the message, which dead-letters it again under
    // the same Nats-Msg-Id and records it again). A trail that cannot be written is logged, not
    // allowed to stall the consumer.
    await this.recorder
      ?.deadLettered({
        service: this.nats.options.service,
        subject,
        stream: msg.info.stream,
        seq: msg.seq,
        deliveries: msg.info.deliveryCount,
        reason,
      })
      .catch((err: Error) =>
        this.logger.error(`dead letter ${msg.seq} not recorded in the audit trail: ${err.message}`),
      );
    // then announced (after the trail, as every change is), an alert given up on never again:
    // that could go on forever
    if (subject !== Subjects.MessageDeadLettered)
      await announceDeadLetter(new EventPublisher(this.nats), this.logger, {
        subject,
        data: msg.data,
        reason,
        seq: stored.seq,
        msgId,
      });
    msg.term(reason);
  }
}
