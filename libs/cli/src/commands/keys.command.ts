import { Option, type Command } from 'commander';
import {
  expiryPolicyFor,
  initKeyFile,
  OnlineRoles,
  readKeyFile,
  ReleaseError,
  ReleaseErrorCode,
  stageKeyFile,
  TufRepositoryWriter,
  TufRoles,
  UNREFRESHED_EXPIRY_MS,
  withNewKey,
  type TufRole,
} from '@lockstep/releases';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { defaultKeyFile, defaultKeysDir, keysPassphrase } from '../keys-location';
import { openStore, type S3Options } from '../s3';
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
          'LOCKSTEP_TUF_ONLINE_KEYS_FILE (docker compose: copy it into deploy/tuf-keys/) so it keeps release\n' +
          'metadata fresh; publishes sign day-long timestamps once such a checker has marked the component.\n',
      );
    });

  keys
    .command('rotate')
    .description(
      "replace one role's key: every component in the bucket whose root trusts the key file gets root v+1 naming the new key (a new root key is cross-signed by the old one, so pinned clients follow) and freshly signed metadata; the old key file is kept beside the new one",
    )
    .addOption(new Option('--role <role>', 'role whose key to replace').choices([...TufRoles]).makeOptionMandatory())
    .option('--keys <file>', 'key file from `lockstep keys init` (or LOCKSTEP_KEYS_FILE)', defaultKeyFile(ctx.env))
    .option('--s3-endpoint <url>', 'S3 endpoint (or S3_ENDPOINT)')
    .option('--s3-access-key <key>', 'S3 access key (or S3_ACCESS_KEY)')
    .option('--s3-secret-key <key>', 'S3 secret key (prefer S3_SECRET_KEY: flags show up in ps)')
    .option('--bucket <name>', 'bucket (or S3_BUCKET)')
    .action(async (_args: unknown, cmd: Command) => {
      const o = ctx.options<S3Options & { role: TufRole; keys: string }>(cmd);
      const passphrase = keysPassphrase(ctx.env);
      const current = await readKeyFile(o.keys, passphrase);
      const next = withNewKey(current, o.role);
      const store = await openStore(ctx.deps, o);
      const staged = await stageKeyFile(o.keys, next, passphrase);
      const writer = new TufRepositoryWriter();
      const rotated: string[] = [];
      const skipped: string[] = [];
      const roots = (await store.list('components/'))
        .map((info) => /^components\/([^/]+)\/tuf\/root\.json$/.exec(info.key)?.[1])
        .filter((c): c is string => c !== undefined)
        .sort();
      for (const component of roots) {
        try {
          // a new online key is one no checker holds yet: sign for the time until it gets the new file
          const expiresInMs = (OnlineRoles as readonly string[]).includes(o.role)
            ? UNREFRESHED_EXPIRY_MS
            : await expiryPolicyFor(store, component, new Date());
          await writer.rotate({ store, component, current, next, expiresInMs });
          rotated.push(component);
        } catch (err) {
          if (err instanceof ReleaseError && err.code === ReleaseErrorCode.KeysDoNotMatchRoot) skipped.push(component);
          else
            throw new UsageError(
              `rotating ${component} failed (${(err as Error).message}); ${rotated.length ? `${rotated.join(', ')} already use the new keys in ${staged.nextPath}. ` : ''}The old key file ${o.keys} is unchanged; fix the problem and publish the rest with the right file`,
              { cause: err },
            );
        }
      }
      const { replacedPath, onlinePath } = await staged.commit();
      ctx.print(
        cmd,
        { role: o.role, keyId: next.keys[o.role].keyId, rotated, skipped, keyFile: o.keys, replacedPath, onlinePath },
        () =>
          `${renderFields([
            [`new ${o.role} key id`, next.keys[o.role].keyId],
            ['components rotated', rotated.join(', ') || 'none'],
            ['left alone (other keys)', skipped.join(', ') || 'none'],
            ['key file', o.keys],
            ['old key file kept as', replacedPath],
          ])}` +
          (o.role === 'snapshot' || o.role === 'timestamp'
            ? `Give the checker the new online key file ${onlinePath} (LOCKSTEP_TUF_ONLINE_KEYS_FILE) and restart it.\n`
            : ''),
      );
    });
}
