import { Catch, HttpException, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { ApiErrorCode, PROBLEM_CONTENT_TYPE, type ApiErrorBody } from '@lockstep/contracts';
import { ApiError, problemBody } from './api-error';

const CODE_BY_STATUS: Record<number, string> = {
  400: ApiErrorCode.InvalidRequest,
  404: ApiErrorCode.NotFound,
  405: ApiErrorCode.MethodNotAllowed,
  413: ApiErrorCode.PayloadTooLarge,
  415: ApiErrorCode.UnsupportedMediaType,
};

/** An express body-parser failure (bad JSON, body too large); it carries its HTTP status. */
interface BodyParserError {
  type: string;
  status: number;
  message: string;
}
const isBodyParserError = (err: unknown): err is BodyParserError =>
  typeof err === 'object' &&
  err !== null &&
  typeof (err as BodyParserError).type === 'string' &&
  (err as BodyParserError).type.startsWith('entity.') &&
  typeof (err as BodyParserError).status === 'number';

/**
 * The API's one exception filter: every error becomes an RFC 9457 problem
 * (`application/problem+json` with type, title, status, detail and the project's code).
 * Expected failures keep their status and message; anything else is logged with an error id
 * and answered 500 with that id, so an operator can find the log line.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const { status, body } = this.toResponse(exception, req);
    if (res.headersSent) return;
    res.status(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  }

  /** The status and body for an exception (public for tests). */
  toResponse(exception: unknown, req: Pick<Request, 'method' | 'url'>): { status: number; body: ApiErrorBody } {
    if (exception instanceof ApiError) return { status: exception.status, body: exception.toBody() };
    // Nest wraps body-parser failures in an HttpException whose cause is the original error.
    const parserError = isBodyParserError(exception)
      ? exception
      : exception instanceof HttpException && isBodyParserError(exception.cause)
        ? exception.cause
        : undefined;
    if (parserError) {
      const invalidJson = parserError.type === 'entity.parse.failed';
      const code = invalidJson
        ? ApiErrorCode.InvalidJson
        : (CODE_BY_STATUS[parserError.status] ?? ApiErrorCode.InvalidRequest);
      const message = invalidJson
        ? `request body is not valid JSON (${parserError.message}); send a JSON object with content-type application/json`
        : parserError.message;
      return { status: parserError.status, body: problemBody(parserError.status, code, message) };
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status: HttpStatus = exception.getStatus();
      const message =
        status === HttpStatus.NOT_FOUND
          ? `no route ${req.method} ${req.url.split('?')[0]}; the API's routes are listed at GET /v1/openapi.json`
          : exception.message;
      return { status, body: problemBody(status, CODE_BY_STATUS[status] ?? `HTTP_${status}`, message) };
    }
    const id = randomBytes(6).toString('hex');
    const detail = exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
    this.logger.error(`error id ${id}: ${req.method} ${req.url} failed: ${detail}`);
    return {
      status: 500,
      body: problemBody(
        500,
        ApiErrorCode.Internal,
        `the API failed unexpectedly; report the error id to the operator, the API log has the details (error id ${id})`,
      ),
    };
  }
}
