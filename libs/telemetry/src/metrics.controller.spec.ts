import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { createLogger } from './logger.factory';
import { MetricsController } from './metrics.controller';
import { MetricsRegistry } from './metrics.registry';
import { PinoNestLogger } from './pino-nest.logger';
import { TelemetryModule } from './telemetry.module';

@Injectable()
class DeliveryCounter {
  constructor(readonly metrics: MetricsRegistry) {
    metrics.counter({ name: 'lockstep_deliveries_total', help: 'Deliveries' }).inc();
  }
}

describe(MetricsController.name, () => {
  let app: INestApplication;
  let baseUrl: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TelemetryModule.forRoot({ serviceName: 'api', defaultMetrics: false })],
      providers: [DeliveryCounter],
    }).compile();
    const logger = new PinoNestLogger(
      createLogger('api', 'info', { destination: { write: (l: string) => void logLines.push(l) } }),
    );
    app = moduleRef.createNestApplication({ logger });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  it('serves GET /metrics in Prometheus text format, with metrics any provider registered', async () => {
    const res = await fetch(`${baseUrl}/metrics`);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await res.text()).toContain('lockstep_deliveries_total{service="api"} 1');
  });

  it('logs Nest bootstrap lines as JSON through the pino adapter', () => {
    const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);

    expect(lines).toContainEqual(
      expect.objectContaining({ service: 'api', context: 'RouterExplorer', msg: expect.stringContaining('/metrics') }),
    );
  });
});
