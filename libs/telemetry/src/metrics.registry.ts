import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
  type Metric,
} from 'prom-client';
import { MetricConflictError } from './telemetry.errors';

/** Options of {@link MetricsRegistry}. */
export interface MetricsRegistryOptions {
  /** Value of the `service` label every series carries, e.g. 'checker'. */
  serviceName: string;
  /** Collect Node process metrics (CPU, memory, event loop lag, GC). Default true. */
  defaultMetrics?: boolean;
}

/** Configuration of a metric made through {@link MetricsRegistry}: name, help and label names. */
export type MetricConfig<L extends string> = Pick<CounterConfiguration<L>, 'name' | 'help' | 'labelNames'>;

/**
 * One prom-client `Registry` for a service process, with Node default metrics and a
 * `service` label on every series. `counter`/`histogram`/`gauge` are get-or-create by
 * name, so a handler may declare its metrics in its constructor and be built twice
 * (tests, re-created modules) without a "metric already registered" throw.
 */
export class MetricsRegistry {
  /** The underlying prom-client registry (not the prom-client global one). */
  readonly registry = new Registry();

  constructor(readonly options: MetricsRegistryOptions) {
    this.registry.setDefaultLabels({ service: options.serviceName });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** The counter named `config.name`, created on first call. */
  counter<L extends string = string>(config: MetricConfig<L>): Counter<L> {
    return this.getOrCreate(config.name, Counter, () => new Counter<L>({ ...config, registers: [this.registry] }));
  }

  /** The histogram named `config.name`, created on first call (buckets default to prom-client's, in seconds). */
  histogram<L extends string = string>(
    config: MetricConfig<L> & Pick<HistogramConfiguration<L>, 'buckets'>,
  ): Histogram<L> {
    return this.getOrCreate(config.name, Histogram, () => new Histogram<L>({ ...config, registers: [this.registry] }));
  }

  /** The gauge named `config.name`, created on first call; `collect` runs on each scrape. */
  gauge<L extends string = string>(config: MetricConfig<L> & Pick<GaugeConfiguration<L>, 'collect'>): Gauge<L> {
    return this.getOrCreate(config.name, Gauge, () => new Gauge<L>({ ...config, registers: [this.registry] }));
  }

  /** Every series in Prometheus text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The Content-Type of {@link render}'s output. */
  get contentType(): string {
    return this.registry.contentType;
  }

  private getOrCreate<M extends Metric<string>>(
    name: string,
    kind: abstract new (...args: never[]) => M,
    create: () => M,
  ): M {
    const existing = this.registry.getSingleMetric(name);
    if (!existing) return create();
    if (existing instanceof kind) return existing;
    throw new MetricConflictError(name, existing.constructor.name.toLowerCase(), kind.name.toLowerCase());
  }
}
