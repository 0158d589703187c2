import { systemActor } from '@lockstep/contracts';
import type { DeadLetteredMessage, DeadLetterRecorder } from '@lockstep/messaging';
import type { DataSource } from 'typeorm';
import { appendAudit } from './audit-log';

/**
 * Records each message a service's event consumer dead-letters as `message.dead-lettered`, by
 * that service (`system`), target `<subject>#<stream seq>`, in a transaction of its own.
 */
export const auditDeadLetters = (ds: DataSource): DeadLetterRecorder => ({
  async deadLettered(m: DeadLetteredMessage): Promise<void> {
    await ds.transaction((tx) =>
      appendAudit(tx, {
        actor: systemActor(m.service),
        action: 'message.dead-lettered',
        target: `${m.subject}#${m.stream}:${m.seq}`,
        params: { subject: m.subject, stream: m.stream, seq: m.seq, deliveries: m.deliveries, reason: m.reason },
      }),
    );
  },
});
