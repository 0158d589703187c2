import type { Command } from 'commander';
import { initKeyFile, TufRoles } from '@lockstep/releases';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { defaultKeysDir, keysPassphrase } from '../keys-location';
import { renderFields } from '../output';

/** `lockstep keys init [--out DIR]`: a new publisher key set, written with mode 0600; refuses to overwrite. */
export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('release signing keys (they never leave this machine)');
  keys
    .command('init')
    .description(
      'generate Ed25519 keys for the four TUF roles into DIR/lockstep-tuf-keys.json, encrypted with LOCKSTEP_KEYS_PASSPHRASE(_FILE), and the online (snapshot, timestamp) keys for the control plane into DIR/lockstep-tuf-online-keys.json (refuses to overwrite)',
    )
    .option('--out <dir>', 'directory for the key files (or LOCKSTEP_KEYS_DIR)', defaultKeysDir(ctx.env))
    .option('--unencrypted', 'write the key file without a passphrase (throwaway keys for a test only)')
    .action(async (_args: unknown, cmd: Command) => {
      const { out, unencrypted } = ctx.options<{ out: string; unencrypted?: boolean }>(cmd);
      const passphrase = unencrypted ? undefined : keysPassphrase(ctx.env);
      if (!unencrypted && !passphrase)
        throw new UsageError(
          'keys init encrypts the key file (it holds the offline root and targets keys): set LOCKSTEP_KEYS_PASSPHRASE_FILE to a file holding a passphrase of at least 12 characters (or LOCKSTEP_KEYS_PASSPHRASE); publish and refresh read the same setting',
        );
      const { path, onlinePath, keySet } = await initKeyFile(out, { passphrase });
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
          `The key file holds every private key (mode 0600${passphrase ? ', encrypted with your passphrase' : ', NOT encrypted'}): back it up offline.\n` +
          'Anyone with it (and its passphrase) can publish releases;\n' +
          'losing it means every client has to pin a new root.\n' +
          'The online key file holds only the snapshot and timestamp keys: give it to the checker as\n' +
          'LOCKSTEP_TUF_ONLINE_KEYS_FILE so it keeps release metadata fresh (the timestamp expires after a day).\n',
      );
    });
}
