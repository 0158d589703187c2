import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KEY_FILE_NAME } from '@lockstep/releases';
import { UsageError } from './errors';

/** Where `keys init` writes and `release publish` reads keys by default: LOCKSTEP_KEYS_DIR, else ~/.config/lockstep (outside any checkout). */
export function defaultKeysDir(env: NodeJS.ProcessEnv): string {
  return env.LOCKSTEP_KEYS_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'lockstep');
}

/** The key file `release publish` uses without --keys: LOCKSTEP_KEYS_FILE, else the default directory's key file. */
export function defaultKeyFile(env: NodeJS.ProcessEnv): string {
  return env.LOCKSTEP_KEYS_FILE ?? join(defaultKeysDir(env), KEY_FILE_NAME);
}

/**
 * The passphrase of the (encrypted) key file: LOCKSTEP_KEYS_PASSPHRASE, else the contents of
 * LOCKSTEP_KEYS_PASSPHRASE_FILE without its trailing newline; undefined when neither is set.
 */
export function keysPassphrase(env: NodeJS.ProcessEnv): string | undefined {
  if (env.LOCKSTEP_KEYS_PASSPHRASE) return env.LOCKSTEP_KEYS_PASSPHRASE;
  const file = env.LOCKSTEP_KEYS_PASSPHRASE_FILE;
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new UsageError(
      `LOCKSTEP_KEYS_PASSPHRASE_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); point it at the file holding the key file's passphrase`,
      { cause: err },
    );
  }
}
