import { Injectable, type PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { ApiError } from './api-error';

/** Where a value came from, named in messages: `request body`, `query`, `path`. */
export type RequestPart = 'request body' | 'query' | 'path';

/** Turns zod issues into one sentence naming each field and what it must be. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], schema?: z.ZodType): string {
  return issues
    .map((issue) => {
      const field = issue.path.join('.') || '(root)';
      if (issue.code === 'unrecognized_keys') {
        const allowed =
          schema instanceof z.ZodObject ? `; allowed fields: ${Object.keys(schema.shape).join(', ')}` : '';
        return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}${allowed}`;
      }
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses a value with a schema; throws a 400 ApiError naming every bad field otherwise. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, part: RequestPart): z.infer<S> {
  const parsed = schema.safeParse(value ?? (part === 'request body' ? {} : value));
  if (parsed.success) return parsed.data;
  throw ApiError.badRequest(`invalid ${part}: ${describeIssues(parsed.error.issues, schema)}`);
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
