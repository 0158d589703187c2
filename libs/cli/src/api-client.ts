import { CliError, CliErrorCode, ExitCode, UsageError } from './errors';

/** Where the CLI finds the API when neither --api nor LOCKSTEP_API_URL says. */
export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

/** The API answered with a problem (RFC 9457); its `detail` is shown as is, its `code` kept. */
export class ApiRequestError extends CliError {
  override name = 'ApiRequestError';
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(message, ExitCode.Failure, code);
  }
}

/** The API could not be reached or did not answer in time. */
export class ApiUnreachableError extends CliError {
  override name = 'ApiUnreachableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.Failure, CliErrorCode.ApiUnreachable, options);
  }
}

/** Resolves the API base URL from `--api`, then LOCKSTEP_API_URL, then the default; refuses anything but http(s). */
export function resolveApiUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const raw = flag ?? env.LOCKSTEP_API_URL ?? DEFAULT_API_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`API URL "${raw}" is not a URL; pass --api http://host:port or set LOCKSTEP_API_URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`API URL "${raw}" must start with http:// or https://`);
  return url.toString().replace(/\/+$/, '');
}

type Fetch = typeof fetch;

/** A thin JSON client of the Lockstep REST API. Every failure becomes a CliError with the server's message. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl: Fetch = fetch,
    private readonly timeoutMs = 30_000,
    /** The API token sent as `Authorization: Bearer`; undefined sends none. */
    private readonly token?: string,
  ) {}

  get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return this.request<T>('GET', qs ? `${path}?${qs}` : path);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  post<T>(path: string, body: unknown, timeoutMs?: number): Promise<T> {
    return this.request<T>('POST', path, body, timeoutMs);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  /** DELETE; resolves with the answer's body (undefined for 204). */
  delete<T = void>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** Sends one request; resolves with the parsed JSON body (undefined for 204). */
  async request<T>(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers: {
          accept: 'application/json, application/problem+json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw this.unreachable(err, timeoutMs);
    }
    const text = await res.text().catch(() => '');
    if (res.ok) return (text ? JSON.parse(text) : undefined) as T;
    const problem = safeJson(text) as { code?: unknown; detail?: unknown } | undefined;
    if (problem && typeof problem.detail === 'string') {
      throw new ApiRequestError(
        res.status,
        typeof problem.code === 'string' ? problem.code : `HTTP_${res.status}`,
        problem.detail,
      );
    }
    throw new ApiRequestError(
      res.status,
      `HTTP_${res.status}`,
      `${method} ${url} answered ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}; is ${this.baseUrl} a Lockstep API?`,
    );
  }

  private unreachable(err: unknown, timeoutMs: number): ApiUnreachableError {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
      return new ApiUnreachableError(
        `the Lockstep API at ${this.baseUrl} did not answer within ${Math.round(timeoutMs / 1000)} s; check that it is healthy (GET ${this.baseUrl}/readyz)`,
        { cause: err },
      );
    }
    const reason = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
    return new ApiUnreachableError(
      `cannot reach the Lockstep API at ${this.baseUrl} (${reason}); start it (npm run start:api) or point --api / LOCKSTEP_API_URL at it`,
      { cause: err },
    );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
