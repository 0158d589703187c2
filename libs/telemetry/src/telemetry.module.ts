import { Module, type DynamicModule } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsRegistry, type MetricsRegistryOptions } from './metrics.registry';

/** Options of {@link TelemetryModule.forRoot}. */
export interface TelemetryModuleOptions extends MetricsRegistryOptions {
  /** An existing registry to expose instead of a new one (e.g. shared with code outside Nest). */
  registry?: MetricsRegistry;
  /** Serve `GET /metrics` from this app. Default true; false for apps without HTTP. */
  metricsEndpoint?: boolean;
}

/**
 * Global module giving every provider the process's {@link MetricsRegistry} and serving
 * `GET /metrics`. Import once in the service's root module:
 * `TelemetryModule.forRoot({ serviceName: 'checker' })`. Tracing is not set up here — that
 * is `initTelemetry` in main.ts, which must run before the app is created.
 */
@Module({})
export class TelemetryModule {
  /** The module with a registry for `serviceName` and, unless disabled, the metrics controller. */
  static forRoot(options: TelemetryModuleOptions): DynamicModule {
    const registry = options.registry ?? new MetricsRegistry(options);
    return {
      module: TelemetryModule,
      global: true,
      providers: [{ provide: MetricsRegistry, useValue: registry }],
      controllers: options.metricsEndpoint === false ? [] : [MetricsController],
      exports: [MetricsRegistry],
    };
  }
}
