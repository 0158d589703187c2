import 'reflect-metadata';
import { Logger, type DynamicModule, type INestApplication, type LoggerService, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, type CommonConfig } from '@lockstep/config';
import { NamespacedNatsServer } from '@lockstep/messaging';
import { PinoNestLogger, createLogger, initTelemetry, type TelemetryHandle } from '@lockstep/telemetry';

/** How a service process is started. */
export interface ServiceBootstrapOptions {
  name: string;
  /** Builds the root module from the parsed config. */
  module: (config: CommonConfig) => Type<unknown> | DynamicModule;
  /** Parses the environment; throws ConfigError on a bad value. */
  loadConfig: () => CommonConfig;
  /** Serve @MessagePattern query handlers over NATS request/reply. */
  queries?: boolean;
}

/**
 * Starts a Lockstep service: config, tracing (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set),
 * JSON logs carrying trace ids, the Nest app, NATS query transport, HTTP (health, metrics,
 * REST), and graceful shutdown on SIGTERM/SIGINT within SHUTDOWN_TIMEOUT.
 * A bad config stops the process with exit code 78 and a message naming the variable.
 */
export async function runService(options: ServiceBootstrapOptions): Promise<INestApplication | undefined> {
  let config: CommonConfig;
  try {
    config = options.loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const pino = createLogger(options.name, config.LOG_LEVEL);
  const telemetry = initTelemetry({
    serviceName: options.name,
    otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
    enabled: true,
    diagnostics: pino,
  });
  const logger: LoggerService = new PinoNestLogger(pino);
  const app = await NestFactory.create(options.module(config) as Type<unknown>, { logger, abortOnError: false });
  if (options.queries) {
    app.connectMicroservice(
      { strategy: new NamespacedNatsServer(config.NATS_NAMESPACE, config, { queue: options.name }) },
      { inheritAppConfig: true },
    );
  }
  installShutdown(app, options, config, telemetry);
  try {
    await app.init();
    if (options.queries) await app.startAllMicroservices();
    await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  } catch (err) {
    new Logger(options.name).error(`failed to start: ${(err as Error).message}`);
    await app.close().catch(() => undefined);
    await telemetry.shutdown();
    process.exit(1);
  }
  const url = await app.getUrl();
  new Logger(options.name).log(`${options.name} ready, listening on ${url.replace('[::1]', '127.0.0.1')}`);
  return app;
}

function installShutdown(
  app: INestApplication,
  options: ServiceBootstrapOptions,
  config: CommonConfig,
  telemetry: TelemetryHandle,
): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    new Logger(options.name).log(`${signal} received: draining`);
    const hard = setTimeout(() => {
      new Logger(options.name).error(`shutdown took longer than ${config.SHUTDOWN_TIMEOUT}ms, exiting`);
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT);
    hard.unref();
    void app
      .close()
      .then(() => telemetry.shutdown())
      .then(() => process.exit(0))
      .catch((err) => {
        new Logger(options.name).error(`shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
