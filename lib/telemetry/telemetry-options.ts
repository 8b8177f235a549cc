import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { fail, section, type Input } from '../options/option-checks.js';

/**
 * Where the library's metrics and spans go. By default the global providers of
 * `@opentelemetry/api`: no-ops until the app registers an OpenTelemetry SDK (before it creates
 * the Nest app, since meters are taken when the module starts). An app that runs several Nest
 * apps in one process, or keeps this library's telemetry apart, passes its own providers.
 */
export interface TelemetryOptions {
  meterProvider?: MeterProvider;
  tracerProvider?: TracerProvider;
}

export interface ResolvedTelemetryOptions {
  meterProvider: MeterProvider | undefined;
  tracerProvider: TracerProvider | undefined;
}

function provider<T>(value: unknown, option: string, method: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || typeof (value as Record<string, unknown>)[method] !== 'function') {
    fail(option, `must be an OpenTelemetry provider with ${method}()`);
  }
  return value as T;
}

export function resolveTelemetryOptions(input: Input): ResolvedTelemetryOptions {
  const telemetry = section(input, 'telemetry', ['meterProvider', 'tracerProvider']);
  return {
    meterProvider: provider<MeterProvider>(telemetry.meterProvider, 'telemetry.meterProvider', 'getMeter'),
    tracerProvider: provider<TracerProvider>(telemetry.tracerProvider, 'telemetry.tracerProvider', 'getTracer'),
  };
}
