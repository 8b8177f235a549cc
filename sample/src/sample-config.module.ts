import { Module, type DynamicModule } from '@nestjs/common';
import { SAMPLE_CONFIG, type SampleConfig } from './sample-config.js';

/** Provides the instance's SampleConfig, the way an app would provide its ConfigService. */
@Module({})
export class SampleConfigModule {
  static register(config: SampleConfig): DynamicModule {
    return { module: SampleConfigModule, providers: [{ provide: SAMPLE_CONFIG, useValue: config }], exports: [SAMPLE_CONFIG] };
  }
}
