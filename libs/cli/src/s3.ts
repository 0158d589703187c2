import { z } from 'zod';
import { ConfigError, loadConfig, s3Schema } from '@lockstep/config';
import { MinioObjectStore, type ObjectStore, type S3Settings } from '@lockstep/storage';
import type { CliDeps } from './context';
import { UsageError } from './errors';

/** The `--s3-*` / `--bucket` options of release commands. */
export interface S3Options {
  s3Endpoint?: string;
  s3AccessKey?: string;
  s3SecretKey?: string;
  bucket?: string;
}

const schema = z.object(s3Schema);

/**
 * S3 settings from flags, then S3_ENDPOINT / S3_ACCESS_KEY / S3_SECRET_KEY / S3_BUCKET (or their
 * `_FILE` variants), then the
 * same defaults the services use, validated by the services' own schema.
 */
export function resolveS3Settings(options: S3Options, env: NodeJS.ProcessEnv): S3Settings {
  // the environment (with its <NAME>_FILE variants), then each flag given in place of its variable
  const merged: NodeJS.ProcessEnv = { ...env };
  const flags: Record<string, string | undefined> = {
    S3_ENDPOINT: options.s3Endpoint,
    S3_ACCESS_KEY: options.s3AccessKey,
    S3_SECRET_KEY: options.s3SecretKey,
    S3_BUCKET: options.bucket,
  };
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    merged[key] = value;
    delete merged[`${key}_FILE`];
  }
  try {
    const c = loadConfig('lockstep', schema, merged);
    return { endpoint: c.S3_ENDPOINT, accessKey: c.S3_ACCESS_KEY, secretKey: c.S3_SECRET_KEY, bucket: c.S3_BUCKET };
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new UsageError(
        `bad S3 settings: ${err.problems.join('; ')}; fix --s3-endpoint/--s3-access-key/--s3-secret-key/--bucket or the S3_* environment variables`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** Opens the deployment's bucket (creating it when missing) with the CLI's dependencies. */
export async function openStore(deps: CliDeps, options: S3Options, create = false): Promise<ObjectStore> {
  const settings = resolveS3Settings(options, deps.env);
  const store = deps.openStore?.(settings) ?? new MinioObjectStore(settings);
  if (create) await store.ensureBucket();
  return store;
}
