import { copyFile, lstat, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentErrorCode, InstallStepError } from '../errors';
import { fsyncDir, writeFileDurably } from '../support/durable-file';
import { isJsonObject, mergeConfigDefaults, type JsonObject } from './config-merge';

/** File a release may ship with its default settings. */
export const CONFIG_DEFAULTS_FILE = 'config.defaults.json';
/** The operator's settings in the shared directory; survives releases. */
export const SHARED_CONFIG_FILE = 'config.json';

/** What one migration did. */
export interface ConfigMigration {
  /** Keys added from the release's defaults. */
  added: string[];
  /** Whether shared/config.json existed before (and was copied to the backup). */
  hadConfig: boolean;
}

const invalid = (message: string, cause?: unknown) =>
  new InstallStepError(AgentErrorCode.ConfigInvalid, message, { cause, step: 'migrating_config' });

/**
 * Owns `shared/config.json`: merges a release's `config.defaults.json` into it (new keys
 * added, operator values kept), writing atomically after a backup, and restores the backup
 * when the install does not go through.
 */
export class ConfigMigrator {
  constructor(private readonly sharedDir: string) {}

  get configPath(): string {
    return join(this.sharedDir, SHARED_CONFIG_FILE);
  }

  /** True when shared/config.json exists. */
  async hasConfig(): Promise<boolean> {
    return (await readIfFile(this.configPath)) !== undefined;
  }

  /** Merges the release's defaults, if it ships any. `backupPath` receives the old file first. */
  async migrate(releaseDir: string, backupPath: string): Promise<ConfigMigration> {
    const defaultsPath = join(releaseDir, CONFIG_DEFAULTS_FILE);
    const defaultsText = await readIfFile(defaultsPath);
    const current = await readIfFile(this.configPath);
    if (defaultsText === undefined) return { added: [], hadConfig: current !== undefined };
    const defaults = parseObject(
      defaultsText,
      () => `${CONFIG_DEFAULTS_FILE} of the release`,
      'fix the release and publish a new version',
    );
    const operator =
      current === undefined
        ? {}
        : parseObject(
            current,
            () => `${this.configPath}`,
            'fix it by hand; the agent never overwrites operator settings',
          );
    const { config, added } = mergeConfigDefaults(defaults, operator);
    const text = `${JSON.stringify(config, null, 2)}\n`;
    if (!isJsonObject(JSON.parse(text))) throw invalid('the merged configuration is not a JSON object');
    if (added.length === 0 && current !== undefined) return { added, hadConfig: true };
    if (current !== undefined) await writeFileDurably(backupPath, current);
    await writeFileDurably(this.configPath, text, 0o640);
    return { added, hadConfig: current !== undefined };
  }

  /** Puts the configuration back as it was before {@link migrate} (from the backup, or removes it). */
  async restore(backupPath: string, hadConfig: boolean): Promise<void> {
    if (hadConfig) {
      if ((await readIfFile(backupPath)) === undefined) return; // migrate changed nothing
      await copyFile(backupPath, this.configPath);
    } else {
      await rm(this.configPath, { force: true });
    }
    await fsyncDir(this.sharedDir);
  }
}

async function readIfFile(path: string): Promise<string | undefined> {
  try {
    const info = await lstat(path);
    if (!info.isFile()) throw invalid(`${path} is not a regular file`);
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parseObject(text: string, what: () => string, fix: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalid(`${what()} is not valid JSON (${(err as Error).message}); ${fix}`, err);
  }
  if (!isJsonObject(value)) throw invalid(`${what()} must be a JSON object; ${fix}`);
  return value;
}
