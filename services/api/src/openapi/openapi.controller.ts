import { Controller, Get } from '@nestjs/common';
import { buildOpenApiDocument } from './openapi.document';

/** `GET /v1/openapi.json`: the API described as OpenAPI 3.1, built from its validation schemas. */
@Controller('v1')
export class OpenApiController {
  private readonly document = buildOpenApiDocument();

  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    return this.document;
  }
}
