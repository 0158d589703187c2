import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { TOKEN_PATTERN } from '@lockstep/contracts';
import { UsageError } from './errors';

/** Where `lockstep login` saves the token and every command reads it: LOCKSTEP_TOKEN_FILE, else `$XDG_CONFIG_HOME/lockstep/token` (`~/.config/lockstep/token`). */
export function defaultTokenFile(env: NodeJS.ProcessEnv): string {
  return env.LOCKSTEP_TOKEN_FILE ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'lockstep', 'token');
}

/** Throws a usage error unless `token` looks like a Lockstep API token; `from` names where it came from. */
export function checkToken(token: string, from: string): string {
  const t = token.trim();
  if (!TOKEN_PATTERN.test(t))
    throw new UsageError(
      `${from} is not a Lockstep API token (lst_<16 hex digits>_<43 characters>); copy it whole from \`lockstep tokens create\` or the bootstrap token file`,
    );
  return t;
}

/**
 * Reads a token file, refusing one that others may read (any group or other permission bit):
 * a token is a password.
 */
export function readTokenFile(file: string): string {
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077)
    throw new UsageError(
      `token file ${file} may be read by other users (mode ${mode.toString(8).padStart(4, '0')}); run \`chmod 600 ${file}\` and try again`,
    );
  return checkToken(readFileSync(file, 'utf8'), `the content of ${file}`);
}

/** The token a command sends: `--token`, else LOCKSTEP_TOKEN, else the token file when it exists; undefined when none is given. */
export function resolveToken(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag !== undefined) return checkToken(flag, '--token');
  if (env.LOCKSTEP_TOKEN) return checkToken(env.LOCKSTEP_TOKEN, 'LOCKSTEP_TOKEN');
  const file = defaultTokenFile(env);
  return existsSync(file) ? readTokenFile(file) : undefined;
}

/** Saves a token for later commands (directory 0700, file 0600, replaced if present); answers the file. */
export function saveToken(token: string, env: NodeJS.ProcessEnv): string {
  const file = defaultTokenFile(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
