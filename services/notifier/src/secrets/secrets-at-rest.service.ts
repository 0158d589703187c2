import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { AuditActor, QueryReply, SecretsRotateReplyV1 } from '@lockstep/contracts';
import { SealingErrorCode, SecretKeyring } from '@lockstep/persistence';
import { openTarget, sealTarget } from '../subscriptions/subscription-target.sealing';
import { SealedRowsRepository, type ResealScope, type StoredTargetRow } from './sealed-rows.repository';

/** Rows re-sealed per transaction: small, so deliveries reading subscriptions never wait long. */
export const RESEAL_BATCH = 50;

/** The notifier cannot start: its stored secrets and its key settings do not fit together. */
export class SecretsAtRestError extends Error {
  override name = 'SecretsAtRestError';
}

/**
 * Keeps subscription secrets sealed at rest. At start it refuses to run when rows are sealed
 * under keys it does not have (or there is no key at all while secrets are stored), and seals
 * rows stored before sealing existed. `rotate` re-seals every row under the current key.
 */
@Injectable()
export class SecretsAtRest implements OnModuleInit {
  private readonly logger = new Logger('SecretsAtRest');

  constructor(
    private readonly rows: SealedRowsRepository,
    private readonly keyring: SecretKeyring,
  ) {}

  /** Start check and sealing of rows not sealed yet; a throw stops the notifier with the message. */
  async onModuleInit(): Promise<void> {
    const census = await this.rows.census();
    const sealedKeyIds = Object.keys(census.byKeyId);
    if (!this.keyring.currentKeyId) {
      if (sealedKeyIds.length)
        throw new SecretsAtRestError(
          `subscriptions hold secrets sealed under key ${sealedKeyIds.join(', ')}, but LOCKSTEP_SECRET_KEY is not set: set LOCKSTEP_SECRET_KEY (or LOCKSTEP_SECRET_KEY_FILE) to the key they were sealed with and start the notifier again`,
        );
      if (census.unsealed)
        throw new SecretsAtRestError(
          `${census.unsealed} subscription(s) hold their secrets in plain text and LOCKSTEP_SECRET_KEY is not set: set LOCKSTEP_SECRET_KEY (or LOCKSTEP_SECRET_KEY_FILE) to 32 random bytes in base64 (\`lockstep secrets generate-key\` prints one) and start the notifier again; it seals them at start`,
        );
      return;
    }
    const unknown = sealedKeyIds.filter((id) => !this.keyring.knows(id));
    if (unknown.length)
      throw new SecretsAtRestError(
        `subscriptions hold secrets sealed under key ${unknown.join(', ')}, which is neither LOCKSTEP_SECRET_KEY (${this.keyring.currentKeyId}) nor in LOCKSTEP_SECRET_KEY_PREVIOUS: add the key they were sealed with to LOCKSTEP_SECRET_KEY_PREVIOUS and start the notifier again`,
      );
    if (census.unsealed) {
      const result = await this.reseal('unsealed');
      this.logger.log(`sealed the secrets of ${result.resealed} subscription(s) stored before sealing`);
      if (result.problems.length) throw new SecretsAtRestError(result.problems.join('; '));
    }
  }

  /**
   * Re-seals every subscription under the current key (LOCKSTEP_SECRET_KEY), a few rows per
   * transaction; `actor`'s request is recorded (`secrets.rotate`) once they are done, with the counts.
   */
  async rotate(actor?: AuditActor): Promise<QueryReply<SecretsRotateReplyV1>> {
    if (!this.keyring.currentKeyId)
      return {
        ok: false,
        error: {
          code: SealingErrorCode.KeyMissing,
          message:
            'the notifier has no LOCKSTEP_SECRET_KEY to re-seal with: set it to the new key, list the old one in LOCKSTEP_SECRET_KEY_PREVIOUS, restart the notifier and rotate again',
        },
      };
    const result = await this.reseal('not-current');
    const census = await this.rows.census();
    const remaining = census.unsealed + sumExcept(census.byKeyId, this.keyring.currentKeyId);
    if (actor)
      await this.rows.recordAudit({
        actor,
        action: 'secrets.rotate',
        target: 'subscriptions',
        params: {
          keyId: this.keyring.currentKeyId,
          resealed: result.resealed,
          remaining,
          problems: result.problems.length,
        },
      });
    return {
      ok: true,
      result: { keyId: this.keyring.currentKeyId, resealed: result.resealed, remaining, problems: result.problems },
    };
  }

  private async reseal(scope: ResealScope): Promise<{ resealed: number; problems: string[] }> {
    const currentKeyId = this.keyring.currentKeyId!;
    const refused: Array<{ id: string; reason: string }> = [];
    let resealed = 0;
    for (;;) {
      const batch = await this.rows.resealBatch(
        scope,
        currentKeyId,
        RESEAL_BATCH,
        refused.map((r) => r.id),
        (row) => this.resealRow(row),
      );
      resealed += batch.resealed.length;
      refused.push(...batch.refused);
      if (batch.resealed.length + batch.refused.length === 0) break;
    }
    return { resealed, problems: refused.map((r) => `subscription ${r.id}: ${r.reason}`) };
  }

  private resealRow(row: StoredTargetRow): { target: Record<string, unknown>; targetSealed: string } {
    return sealTarget(this.keyring, row.id, row.channel, openTarget(this.keyring, row));
  }
}

const sumExcept = (counts: Record<string, number>, except: string): number =>
  Object.entries(counts).reduce((n, [k, v]) => (k === except ? n : n + v), 0);
