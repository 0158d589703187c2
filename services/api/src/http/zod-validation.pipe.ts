import { Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { formatIssues } from '@lockstep/contracts';
import { ApiError } from './api-error';

/** Where a value came from, named in messages: `request body`, `query`, `path`. */
export type RequestPart = 'request body' | 'query' | 'path';

/** Parses a value with a schema; throws a 400 ApiError naming every bad field otherwise. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, part: RequestPart): z.infer<S> {
  const parsed = schema.safeParse(value ?? (part === 'request body' ? {} : value));
  if (parsed.success) return parsed.data;
  throw ApiError.badRequest(`invalid ${part}: ${formatIssues(parsed.error, { schema })}`);
}

/** `@Body(new ZodPipe(Schema))`: validates with a zod schema from the contracts, 400 otherwise. */
@Injectable()
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly part: RequestPart = 'request body',
  ) {}

  transform(value: unknown): z.infer<S> {
    return parseRequest(this.schema, value, this.part);
  }
}
