import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { metrics, trace, type Meter, type Tracer } from '@opentelemetry/api';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { SessionRegistry } from '../registry/session-registry.js';
import { RevocationBus } from '../revocation/revocation-bus.js';
import { RevocationStore } from '../revocation/revocation-store.js';
import { LogoutTelemetry } from './logout-telemetry.js';
import { PropagationTelemetry } from './propagation-telemetry.js';
import { ProviderRequestTelemetry } from './provider-request-telemetry.js';
import { RefusalTelemetry } from './refusal-telemetry.js';
import { observeStateGauges } from './state-gauges.js';
import { INSTRUMENTATION_SCOPE } from './telemetry-names.js';

/**
 * The library's metrics and spans through the OpenTelemetry API: no-ops unless the app registers
 * an SDK (or passes providers in the `telemetry` option). One part per concept: logouts,
 * refusals, requests to the OP, propagation across instances, and the state gauges.
 */
@Injectable()
export class KeycloakLogoutTelemetry implements OnModuleInit, OnModuleDestroy {
  readonly logouts: LogoutTelemetry;
  readonly refusals: RefusalTelemetry;
  readonly provider: ProviderRequestTelemetry;
  readonly propagation: PropagationTelemetry;
  private readonly meter: Meter;
  private stopGauges?: () => void;

  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) options: ResolvedKeycloakLogoutOptions,
    private readonly revocationStore: RevocationStore,
    private readonly sessionRegistry: SessionRegistry,
    private readonly revocationBus: RevocationBus,
  ) {
    const { meterProvider, tracerProvider } = options.telemetry;
    this.meter = (meterProvider ?? metrics).getMeter(INSTRUMENTATION_SCOPE);
    // The global tracer is a proxy: an SDK registered later still receives the spans.
    const tracer: Tracer = (tracerProvider ?? trace).getTracer(INSTRUMENTATION_SCOPE);
    this.logouts = new LogoutTelemetry(this.meter, tracer);
    this.refusals = new RefusalTelemetry(this.meter);
    this.provider = new ProviderRequestTelemetry(this.meter, tracer);
    this.propagation = new PropagationTelemetry(this.meter);
  }

  onModuleInit(): void {
    this.stopGauges = observeStateGauges(this.meter, {
      revocationStore: this.revocationStore,
      sessionRegistry: this.sessionRegistry,
      revocationBus: this.revocationBus,
    });
  }

  onModuleDestroy(): void {
    this.stopGauges?.();
    this.stopGauges = undefined;
  }
}
