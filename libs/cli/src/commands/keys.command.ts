import type { Command } from 'commander';
import { initKeyFile, TufRoles } from '@lockstep/releases';
import type { CliContext } from '../context';
import { defaultKeysDir } from '../keys-location';
import { renderFields } from '../output';

/** `lockstep keys init [--out DIR]`: a new publisher key set, written with mode 0600; refuses to overwrite. */
export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('release signing keys (they never leave this machine)');
  keys
    .command('init')
    .description('generate Ed25519 keys for the four TUF roles into DIR/lockstep-tuf-keys.json (refuses to overwrite)')
    .option('--out <dir>', 'directory for the key file (or LOCKSTEP_KEYS_DIR)', defaultKeysDir(ctx.env))
    .action(async (_args: unknown, cmd: Command) => {
      const { out } = ctx.options<{ out: string }>(cmd);
      const { path, onlinePath, keySet } = await initKeyFile(out);
      const keyIds = Object.fromEntries(TufRoles.map((role) => [role, keySet.keys[role].keyId]));
      ctx.print(
        cmd,
        { path, onlinePath, createdAt: keySet.createdAt, keyIds },
        () =>
          `${renderFields([
            ['key file', path],
            ['online key file', onlinePath],
            ...TufRoles.map((role): [string, string] => [`${role} key id`, keyIds[role]]),
          ])}` +
          'The key file holds every private key (mode 0600): back it up offline. Anyone with it can publish releases;\n' +
          'losing it means every client has to pin a new root.\n' +
          'The online key file holds only the snapshot and timestamp keys: give it to the checker as\n' +
          'LOCKSTEP_TUF_ONLINE_KEYS_FILE so it keeps release metadata fresh (the timestamp expires after a day).\n',
      );
    });
}
