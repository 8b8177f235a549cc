import { ValueType, type Counter, type Histogram, type Meter } from '@opentelemetry/api';

/** A count of an operation and a histogram of its duration in seconds, with the same attributes. */
export interface MeasuredOperation {
  count: Counter;
  duration: Histogram;
}

export interface MeasuredOperationNames {
  count: { name: string; description: string; unit: string };
  duration: { name: string; description: string; buckets: number[] };
}

export function measuredOperation(meter: Meter, names: MeasuredOperationNames): MeasuredOperation {
  return {
    count: meter.createCounter(names.count.name, { description: names.count.description, unit: names.count.unit, valueType: ValueType.INT }),
    duration: meter.createHistogram(names.duration.name, {
      description: names.duration.description,
      unit: 's',
      advice: { explicitBucketBoundaries: names.duration.buckets },
    }),
  };
}
