import { randomUUID } from 'node:crypto';
import type { CloudEvent } from './cloud-event';
import { contractFor, type PayloadOf } from './events';
import type { Subject } from './subjects';
import { issueMessages } from './validation';

/** A payload did not match its contract. */
export class InvalidPayloadError extends Error {
  override name = 'InvalidPayloadError';
  constructor(
    readonly subject: string,
    readonly issues: string[],
    options?: { cause?: unknown },
  ) {
    super(`payload for ${subject} is invalid: ${issues.join('; ')}`, options);
  }
}

/**
 * Builds a CloudEvent for a subject after validating its payload against the contract.
 * `id` defaults to a random UUID; pass a deterministic one to make re-emission idempotent.
 */
export function createEvent<S extends Subject>(
  subject: S,
  data: PayloadOf<S>,
  options: { source: string; subject?: string; id?: string; time?: Date },
): CloudEvent<PayloadOf<S>> {
  const contract = contractFor(subject);
  if (!contract) throw new InvalidPayloadError(subject, ['unknown subject']);
  const parsed = contract.schema.safeParse(data);
  if (!parsed.success) throw new InvalidPayloadError(subject, issueMessages(parsed.error));
  return {
    specversion: '1.0',
    id: options.id ?? randomUUID(),
    source: options.source,
    type: contract.type,
    time: (options.time ?? new Date()).toISOString(),
    subject: options.subject,
    datacontenttype: 'application/json',
    data: parsed.data as PayloadOf<S>,
  };
}

/** Validates an incoming event envelope and its payload for the subject it arrived on. */
export function parseEvent(subject: string, raw: unknown): CloudEvent {
  const contract = contractFor(subject);
  if (!contract) throw new InvalidPayloadError(subject, ['no contract for this subject']);
  const ev = raw as CloudEvent;
  if (!ev || ev.specversion !== '1.0' || typeof ev.id !== 'string' || ev.type !== contract.type) {
    throw new InvalidPayloadError(subject, [`not a CloudEvent of type ${contract.type}`]);
  }
  const parsed = contract.schema.safeParse(ev.data);
  if (!parsed.success) throw new InvalidPayloadError(subject, issueMessages(parsed.error));
  return { ...ev, data: parsed.data };
}
