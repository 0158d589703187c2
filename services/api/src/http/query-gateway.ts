import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ApiErrorCode, type Query, type QueryReply } from '@lockstep/contracts';
import { QueryClient } from '@lockstep/messaging';
import { API_CONFIG, type ApiConfig } from '../api.config';
import { ApiError } from './api-error';

/** How a query failed on the way, as far as the caller can tell. */
export type TransportFailure = 'no-responders' | 'timeout' | 'connection' | 'remote';

/** Sorts a QueryClient rejection: nobody listening, no answer in time, NATS itself, or the handler failed. */
export function classifyTransportError(err: unknown): TransportFailure {
  const name = (err as Error | undefined)?.name ?? '';
  const message = String((err as Error | undefined)?.message ?? '');
  if (name === 'NoRespondersError' || /no responders|empty response/i.test(message)) return 'no-responders';
  if (name === 'TimeoutError' || /timeout/i.test(name)) return 'timeout';
  if (
    // MessagingUnavailableError: QueryClient could not connect (its message says why: credentials, TLS…).
    /Connection|Closed|Draining|MessagingUnavailable/.test(name) ||
    /ECONNREFUSED|CONNECTION_REFUSED|connection (closed|lost|refused)/i.test(message)
  )
    return 'connection';
  return 'remote';
}

/** The service that owns a query: `qry.<service>.<name>.vN`. */
export const ownerOf = (query: Query): string => query.split('.')[1] ?? 'owning service';

/** The process's one query client, built from the config and closed on shutdown. */
export const queryClientProvider = {
  provide: QueryClient,
  useFactory: (config: ApiConfig) => new QueryClient(config.NATS_NAMESPACE, config),
  inject: [API_CONFIG],
};

/**
 * Asks other services over NATS request/reply and turns every outcome into either the
 * result or an ApiError: the service's own refusals keep their code and message, an absent
 * service is 502, a silent one 504.
 */
@Injectable()
export class QueryGateway implements OnApplicationShutdown {
  constructor(
    private readonly client: QueryClient,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** Sends a query and returns its result; throws ApiError for refusals and transport failures. */
  async ask<T>(query: Query, payload: unknown, timeoutMs: number = this.config.API_QUERY_TIMEOUT): Promise<T> {
    let reply: QueryReply<T>;
    try {
      reply = await this.client.send<QueryReply<T>>(query, payload, timeoutMs);
    } catch (err) {
      throw transportError(query, err, timeoutMs);
    }
    if (!reply || typeof reply !== 'object' || typeof (reply as { ok?: unknown }).ok !== 'boolean') {
      throw new ApiError(
        502,
        ApiErrorCode.ServiceFailed,
        `the ${ownerOf(query)} answered ${query} with something that is not a query reply; check that it runs the same Lockstep version as the API`,
      );
    }
    if (!reply.ok) throw ApiError.fromQueryError(reply.error);
    return reply.result;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close().catch(() => undefined);
  }
}

function transportError(query: Query, err: unknown, timeoutMs: number): ApiError {
  const owner = ownerOf(query);
  switch (classifyTransportError(err)) {
    case 'no-responders':
      return new ApiError(
        502,
        ApiErrorCode.ServiceUnavailable,
        `the ${owner} is not running or not reachable over NATS (nobody answers ${query}); start the ${owner} with the same NATS_URL and NATS_NAMESPACE as the API`,
        { cause: err },
      );
    case 'timeout':
      return new ApiError(
        504,
        ApiErrorCode.ServiceTimeout,
        `the ${owner} did not answer ${query} within ${timeoutMs} ms; it may be overloaded, or not reachable over NATS; check its logs and try again`,
        { cause: err },
      );
    case 'connection':
      return new ApiError(
        502,
        ApiErrorCode.ServiceUnavailable,
        `the API cannot reach NATS to ask the ${owner} (${(err as Error).message}); check that nats-server runs and NATS_URL is right`,
        { cause: err },
      );
    default: {
      const detail = typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err);
      return new ApiError(
        502,
        ApiErrorCode.ServiceFailed,
        `the ${owner} failed while handling ${query} (${detail}); its log has the details`,
        { cause: err },
      );
    }
  }
}
