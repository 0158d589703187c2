import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { SECRET_KEY_BYTES } from '@lockstep/config';
import type { SecretsRotateReplyV1 } from '@lockstep/contracts';
import type { CliContext } from '../context';

/** `lockstep secrets generate-key` and `lockstep secrets rotate`. */
export function registerSecrets(program: Command, ctx: CliContext): void {
  const secrets = program
    .command('secrets')
    .description('the key that seals webhook secrets and Slack/Discord URLs in Postgres');
  secrets
    .command('generate-key')
    .description('print a fresh random key for LOCKSTEP_SECRET_KEY (32 bytes, base64)')
    .action((_o: unknown, cmd: Command) => {
      const key = generateSecretKey();
      ctx.print(cmd, { key }, () => `${key}\n`);
    });
  secrets
    .command('rotate')
    .description(
      're-seal every stored secret under the current key: first give the notifier the new key as LOCKSTEP_SECRET_KEY and the old one as LOCKSTEP_SECRET_KEY_PREVIOUS, restart it, then run this (owner)',
    )
    .action(async (_o: unknown, cmd: Command) => {
      const reply = await ctx.api(cmd).post<SecretsRotateReplyV1>('/v1/secrets/rotate', {});
      ctx.print(cmd, reply, () => formatRotation(reply));
    });
}

/** 32 random bytes in base64: a value for LOCKSTEP_SECRET_KEY. */
export function generateSecretKey(): string {
  return randomBytes(SECRET_KEY_BYTES).toString('base64');
}

/** What a rotation did, and what is left to do. */
export function formatRotation(r: SecretsRotateReplyV1): string {
  const lines = [`re-sealed ${r.resealed} ${r.resealed === 1 ? 'row' : 'rows'} under key ${r.keyId}`];
  if (r.remaining === 0)
    lines.push('every secret is sealed under the current key: LOCKSTEP_SECRET_KEY_PREVIOUS may be removed');
  else {
    lines.push(`${r.remaining} still sealed under another key:`);
    lines.push(...r.problems.map((p) => `  ${p}`));
  }
  return `${lines.join('\n')}\n`;
}
