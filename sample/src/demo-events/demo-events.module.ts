import { Module, type DynamicModule } from '@nestjs/common';
import type { SampleConfig } from '../sample-config.js';
import { SampleConfigModule } from '../sample-config.module.js';
import { LogoutExplainer } from './logout-explainer.js';
import { PageStreams } from './page-streams.js';

/**
 * The pieces of the demo's explanations that the library's options need too (its
 * `liveConnections.beforeClose` sends the explanation down the page's stream before closing it).
 */
@Module({})
export class DemoEventsModule {
  static register(config: SampleConfig): DynamicModule {
    return {
      module: DemoEventsModule,
      imports: [SampleConfigModule.register(config)],
      providers: [LogoutExplainer, PageStreams],
      exports: [LogoutExplainer, PageStreams],
    };
  }
}
