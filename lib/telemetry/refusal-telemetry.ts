import { ValueType, type Attributes, type Counter, type Meter } from '@opentelemetry/api';
import type { Refusal } from '../refusals/refusal-log.service.js';
import { ATTRIBUTE, METRIC, attributeCode } from './telemetry-names.js';

/**
 * Every refusal RefusalLog records (logout routes, login, guards), counted once, there: by
 * channel, reason code and the guard's execution context.
 */
export class RefusalTelemetry {
  private readonly refusals: Counter;

  constructor(meter: Meter) {
    this.refusals = meter.createCounter(METRIC.refusals, {
      description: 'Refused logouts, logins and guarded requests, by channel, reason and context',
      unit: '{refusal}',
      valueType: ValueType.INT,
    });
  }

  count(refusal: Pick<Refusal, 'channel' | 'reason' | 'status' | 'context'>): void {
    const context = attributeCode(refusal.context ?? 'http');
    const attributes: Attributes = {
      [ATTRIBUTE.channel]: attributeCode(refusal.channel),
      [ATTRIBUTE.reason]: attributeCode(refusal.reason),
      [ATTRIBUTE.context]: context,
    };
    // Outside HTTP (GraphQL, WebSocket, RPC) the status is the library's choice, not an answer sent.
    if (context === 'http') attributes[ATTRIBUTE.httpStatus] = refusal.status;
    this.refusals.add(1, attributes);
  }
}
