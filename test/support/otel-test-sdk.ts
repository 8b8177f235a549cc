import type { Attributes, HrTime } from '@opentelemetry/api';
import { DataPointType, MeterProvider, MetricReader, type DataPoint, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';

/** A reader that exports nowhere: tests pull with collect(), as a Prometheus scrape would. */
class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Point {
  attributes: Attributes;
  value: number;
  /** Histograms only: how many values were recorded. */
  count?: number;
  endTime: HrTime;
}

/** Whether every attribute of `subset` is in `attributes` with the same value. */
function includes(attributes: Attributes, subset: Attributes): boolean {
  return Object.entries(subset).every(([key, value]) => attributes[key] === value);
}

function pointOf(type: DataPointType, point: DataPoint<number | Histogram>): Point {
  if (type === DataPointType.HISTOGRAM) {
    const histogram = point.value as Histogram;
    return { attributes: point.attributes, value: histogram.sum ?? 0, count: histogram.count, endTime: point.endTime };
  }
  return { attributes: point.attributes, value: point.value as number, endTime: point.endTime };
}

/**
 * The real OpenTelemetry SDK, wired for assertions: a MeterProvider read on demand and a
 * TracerProvider whose finished spans are kept in memory. Pass `options` as the module's
 * `telemetry` option, or `registerGlobally()` to test the global-provider path.
 */
export class OtelTestSdk {
  private readonly reader = new PullReader();
  readonly meterProvider = new MeterProvider({ readers: [this.reader] });
  readonly spanExporter = new InMemorySpanExporter();
  readonly tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: this.spanExporter })] });

  get options(): { meterProvider: MeterProvider; tracerProvider: TracerProvider } {
    return { meterProvider: this.meterProvider, tracerProvider: this.tracerProvider };
  }

  async metrics(): Promise<MetricData[]> {
    const { resourceMetrics, errors } = await this.reader.collect();
    if (errors.length > 0) throw new Error(`collection failed: ${errors.map(String).join('; ')}`);
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  }

  /** Data points of one instrument, optionally only those carrying `subset` among their attributes. */
  async points(name: string, subset: Attributes = {}): Promise<Point[]> {
    const metric = (await this.metrics()).find((m) => m.descriptor.name === name);
    if (metric === undefined) return [];
    return (metric.dataPoints as Array<DataPoint<number | Histogram>>)
      .map((point) => pointOf(metric.dataPointType, point))
      .filter((point) => includes(point.attributes, subset));
  }

  /** A counter's total over the points matching `subset` (0 when none). */
  async total(name: string, subset: Attributes = {}): Promise<number> {
    return (await this.points(name, subset)).reduce((sum, point) => sum + point.value, 0);
  }

  /** How many values a histogram recorded over the points matching `subset`. */
  async recorded(name: string, subset: Attributes = {}): Promise<number> {
    return (await this.points(name, subset)).reduce((sum, point) => sum + (point.count ?? 0), 0);
  }

  spans(name?: string): ReadableSpan[] {
    const spans = this.spanExporter.getFinishedSpans();
    return name === undefined ? spans : spans.filter((span) => span.name === name);
  }

  /** Every string the telemetry carries: metric names and attribute values, span names, attributes, statuses and events. */
  async everyValue(): Promise<string[]> {
    const values: string[] = [];
    for (const metric of await this.metrics()) {
      values.push(metric.descriptor.name);
      for (const point of metric.dataPoints) values.push(...Object.values(point.attributes).map(String));
    }
    for (const span of this.spans()) {
      values.push(span.name, span.status.message ?? '', ...Object.values(span.attributes).map(String));
      for (const event of span.events) values.push(event.name, ...Object.values(event.attributes ?? {}).map(String));
    }
    return values;
  }

  async shutdown(): Promise<void> {
    await Promise.all([this.meterProvider.shutdown(), this.tracerProvider.shutdown()]);
  }
}
