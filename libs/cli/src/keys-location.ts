import { homedir } from 'node:os';
import { join } from 'node:path';
import { KEY_FILE_NAME } from '@lockstep/releases';

/** Where `keys init` writes and `release publish` reads keys by default: LOCKSTEP_KEYS_DIR, else ~/.config/lockstep (outside any checkout). */
export function defaultKeysDir(env: NodeJS.ProcessEnv): string {
  return env.LOCKSTEP_KEYS_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'lockstep');
}

/** The key file `release publish` uses without --keys: LOCKSTEP_KEYS_FILE, else the default directory's key file. */
export function defaultKeyFile(env: NodeJS.ProcessEnv): string {
  return env.LOCKSTEP_KEYS_FILE ?? join(defaultKeysDir(env), KEY_FILE_NAME);
}
