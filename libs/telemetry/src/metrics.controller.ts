import { Controller, Get, Header } from '@nestjs/common';
import { Registry } from 'prom-client';
import { MetricsRegistry } from './metrics.registry';

/**
 * `GET /metrics` in Prometheus text format. Added to a service's HTTP app by
 * `TelemetryModule.forRoot`; with a global prefix, exclude it
 * (`app.setGlobalPrefix('api', { exclude: ['metrics'] })`) so scrapers find `/metrics`.
 */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsRegistry) {}

  /** The registry's series; content type `text/plain; version=0.0.4; charset=utf-8`. */
  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  scrape(): Promise<string> {
    return this.metrics.render();
  }
}
