import type { Command } from 'commander';
import type { ObjectStore, S3Settings } from '@lockstep/storage';
import { ApiClient, resolveApiUrl } from './api-client';
import { ExitCode } from './errors';
import { resolveToken } from './token-store';
import { toJson, type CliIo } from './output';

/** What the CLI needs from the outside world; tests pass fakes. */
export interface CliDeps {
  io: CliIo;
  env: NodeJS.ProcessEnv;
  /** HTTP for the API client (default: global fetch). */
  fetch?: typeof fetch;
  /** Opens the object store for release commands (default: MinioObjectStore). */
  openStore?: (settings: S3Settings) => ObjectStore;
  /** Waits between polls of live views (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** The clock (default: Date.now). */
  now?: () => number;
}

/** Options every command accepts. */
export interface GlobalOptions {
  /** API base URL. */
  api?: string;
  /** API token (else LOCKSTEP_TOKEN, else the token file). */
  token?: string;
  /** Machine output on stdout. */
  json?: boolean;
}

/** Shared by all commands of one run: output, API client, the exit code. */
export class CliContext {
  /** Set by commands that finished but must report failure (e.g. a failed check). */
  exitCode: ExitCode = ExitCode.Ok;

  constructor(readonly deps: CliDeps) {}

  get env(): NodeJS.ProcessEnv {
    return this.deps.env;
  }

  /** The command's options merged with the global ones. */
  options<T extends object>(cmd: Command): T & GlobalOptions {
    return cmd.optsWithGlobals<T & GlobalOptions>();
  }

  /** An API client for the URL from --api / LOCKSTEP_API_URL / the default, sending the token from --token / LOCKSTEP_TOKEN / the token file. */
  api(cmd: Command, timeoutMs?: number): ApiClient {
    const o = this.options(cmd);
    return new ApiClient(resolveApiUrl(o.api, this.env), this.deps.fetch, timeoutMs, resolveToken(o.token, this.env));
  }

  /** An API client that sends `token` instead of the configured one (to check a token before saving it). */
  apiWithToken(cmd: Command, token: string): ApiClient {
    return new ApiClient(resolveApiUrl(this.options(cmd).api, this.env), this.deps.fetch, undefined, token);
  }

  /** Writes `value` as JSON with --json, otherwise the readable text. */
  print(cmd: Command, value: unknown, text: () => string): void {
    this.deps.io.stdout(this.options(cmd).json ? toJson(value) : text());
  }

  /** Waits `ms` (a timer unless the deps give another). */
  sleep(ms: number): Promise<void> {
    return this.deps.sleep ? this.deps.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Milliseconds since the epoch, from the deps' clock. */
  now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  /** A warning on stderr; never changes the exit code. */
  warn(message: string): void {
    this.deps.io.stderr(`warning: ${message}\n`);
  }
}
