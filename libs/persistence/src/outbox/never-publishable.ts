import { isInfrastructureOutage } from '@lockstep/messaging';
import type { JetStreamManager } from '@nats-io/jetstream';
import { errors } from '@nats-io/nats-core';

/**
 * Why a failed publish of an outbox row can never succeed, or null when it may later (an outage
 * of NATS or of JetStream, or a failure this cannot place: those are retried, forever).
 *
 * Permanent: the message is larger than the server's max_payload, or than its stream's largest
 * message; the subject is invalid or one this process's NATS user may not publish; or JetStream
 * had no responder for the subject and no stream captures it (while a stream does, "no
 * responders" means JetStream is between leaders or restarting, an outage).
 */
export async function whyNeverPublishable(err: unknown, jsm: JetStreamManager): Promise<string | null> {
  if (isInfrastructureOutage(err)) return null;
  const chain = causes(err);
  const tooLarge = chain.find(
    (e) =>
      (e instanceof errors.InvalidArgumentError && /max_payload/.test(e.message)) ||
      /message size exceeds maximum/i.test(e.message),
  );
  if (tooLarge) return `too large for NATS: ${tooLarge.message}`;
  const refused = chain.find(
    (e) => e instanceof errors.PermissionViolationError || e instanceof errors.InvalidSubjectError,
  );
  if (refused) return `refused by NATS: ${refused.message}`;
  const noResponders = chain.find((e) => e instanceof errors.NoRespondersError);
  if (noResponders && (await capturedByNoStream(jsm, noResponders.subject))) {
    return `no stream captures ${noResponders.subject}: ${noResponders.message}`;
  }
  return null;
}

/** True only when JetStream answers that no stream captures `subject`. */
async function capturedByNoStream(jsm: JetStreamManager, subject: string): Promise<boolean> {
  try {
    await jsm.streams.find(subject);
    return false;
  } catch (err) {
    return causes(err).some((e) => /no stream matches subject/.test(e.message));
  }
}

/** `err` and its causes, outermost first. */
function causes(err: unknown): Error[] {
  const chain: Error[] = [];
  for (let e = err; e instanceof Error && !chain.includes(e); e = e.cause) chain.push(e);
  return chain;
}
