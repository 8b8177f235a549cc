import { Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/**
 * This instance's OpenTelemetry metrics, read by Prometheus at `GET /metrics`. Each app has its
 * own MeterProvider (given to the library's `telemetry.meterProvider`) rather than the global
 * one, because `npm start` runs app-a and app-b in one process and each must report its own.
 */
@Injectable()
export class SampleMetrics implements OnApplicationShutdown {
  /** Serves no port of its own: the app's /metrics route asks it for the text. */
  readonly exporter = new PrometheusExporter({ preventServerStart: true });
  readonly meterProvider: MeterProvider;

  constructor(serviceName: string) {
    this.meterProvider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': serviceName }), readers: [this.exporter] });
  }

  onApplicationShutdown(): Promise<void> {
    return this.meterProvider.shutdown();
  }
}

@Module({})
export class SampleMetricsModule {
  static register(serviceName: string): DynamicModule {
    return { module: SampleMetricsModule, providers: [{ provide: SampleMetrics, useValue: new SampleMetrics(serviceName) }], exports: [SampleMetrics] };
  }
}
