import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { RevocationBus } from './revocation-bus.js';
import { RevocationService } from './revocation.service.js';

/**
 * Starts the revocation bus once the RevocationService has subscribed to it (so a shared bus
 * can catch up before the first request is served) and closes it at shutdown.
 */
@Injectable()
export class RevocationLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  // RevocationService is injected only so that it exists (and has subscribed) before start().
  constructor(
    private readonly bus: RevocationBus,
    readonly revocations: RevocationService,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    return this.bus.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.bus.close();
  }
}
