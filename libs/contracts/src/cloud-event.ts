import { z } from 'zod';

/** CloudEvents 1.0 envelope, structured JSON mode, as Lockstep publishes every event. */
export const CloudEventSchema = z.object({
  /** Always "1.0". */
  specversion: z.literal('1.0'),
  /** Unique per event; also the JetStream Nats-Msg-Id and the webhook-id. */
  id: z.string().min(1),
  /** URI-reference of the emitting service, e.g. `/lockstep/checker`. */
  source: z.string().min(1),
  /** Reverse-DNS event type, e.g. `io.lockstep.release.available.v1`. */
  type: z.string().min(1),
  /** RFC 3339 timestamp of the occurrence. */
  time: z.string().datetime({ offset: true }),
  /** What the event is about, e.g. the component name. */
  subject: z.string().optional(),
  /** Always application/json here. */
  datacontenttype: z.literal('application/json').default('application/json'),
  /** The validated payload of the event type. */
  data: z.unknown(),
});

/** A CloudEvent with a typed payload. */
export type CloudEvent<T = unknown> = Omit<z.infer<typeof CloudEventSchema>, 'data'> & { data: T };
