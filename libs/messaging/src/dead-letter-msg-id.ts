import { createHash } from 'node:crypto';

/**
 * Nats-Msg-Id of the dead-letter copy of message `seq` of `stream`: the same for every attempt
 * to dead-letter that message (a crash before it was terminated, another replica), so the
 * DEAD_LETTERS stream keeps one copy. It ends in a digest of the message's bytes because the
 * stream's duplicate window covers every subject, agents included (each may dead-letter its own
 * commands): stream and sequence alone another node could guess and publish first, and the
 * real copy would be dropped. The bytes of another's message it cannot know.
 */
export function deadLetterMsgId(stream: string, seq: number, data: Uint8Array): string {
  return `dlq-${stream}-${seq}-${createHash('sha256').update(data).digest('base64url').slice(0, 22)}`;
}
