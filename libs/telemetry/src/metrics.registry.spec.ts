import { Counter } from 'prom-client';
import { MetricsRegistry } from './metrics.registry';
import { MetricConflictError } from './telemetry.errors';

describe(MetricsRegistry.name, () => {
  it('returns the same counter when asked twice by name', () => {
    const sut = new MetricsRegistry({ serviceName: 'notifier', defaultMetrics: false });

    const first = sut.counter({
      name: 'lockstep_deliveries_total',
      help: 'Webhook deliveries',
      labelNames: ['outcome'] as const,
    });
    const second = sut.counter({
      name: 'lockstep_deliveries_total',
      help: 'Webhook deliveries',
      labelNames: ['outcome'] as const,
    });

    expect(second).toBe(first);
    expect(first).toBeInstanceOf(Counter);
  });

  it('refuses a name already used by another kind of metric', () => {
    const sut = new MetricsRegistry({ serviceName: 'notifier', defaultMetrics: false });
    sut.counter({ name: 'lockstep_delivery_seconds', help: 'oops, a counter' });

    const act = () => sut.histogram({ name: 'lockstep_delivery_seconds', help: 'Delivery latency' });

    expect(act).toThrow(MetricConflictError);
  });

  it('renders series in Prometheus text format with the service label', async () => {
    const sut = new MetricsRegistry({ serviceName: 'checker', defaultMetrics: false });
    sut
      .counter({ name: 'lockstep_checks_total', help: 'Release checks', labelNames: ['source'] })
      .inc({ source: 'github' }, 2);
    sut.histogram({ name: 'lockstep_check_seconds', help: 'Check latency', buckets: [0.1, 1] }).observe(0.5);
    sut.gauge({ name: 'lockstep_components', help: 'Tracked components' }).set(3);

    const text = await sut.render();

    expect(text).toContain('# TYPE lockstep_checks_total counter');
    expect(text).toContain('lockstep_checks_total{source="github",service="checker"} 2');
    expect(text).toContain('lockstep_check_seconds_bucket{le="1",service="checker"} 1');
    expect(text).toContain('lockstep_components{service="checker"} 3');
    expect(sut.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('collects Node default metrics, each registry on its own', async () => {
    const sut = new MetricsRegistry({ serviceName: 'api' });
    const other = new MetricsRegistry({ serviceName: 'scheduler' });

    const [text, otherText] = await Promise.all([sut.render(), other.render()]);

    expect(text).toContain('process_cpu_user_seconds_total{service="api"}');
    expect(text).toContain('nodejs_eventloop_lag_seconds{service="api"}');
    expect(otherText).toContain('process_cpu_user_seconds_total{service="scheduler"}');
  });
});
