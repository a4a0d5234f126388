import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { CLOCK, type Clock, SystemClock } from '../clock';
import { ID_GENERATOR, type IdGenerator, RandomIdGenerator } from '../ids';

export interface RuntimeOptions {
  config: AppConfig;
  clock?: Clock;
  ids?: IdGenerator;
}

/** Process-wide inputs every layer may ask for: configuration, the clock, id generation. */
@Global()
@Module({})
export class RuntimeModule {
  static forRoot(options: RuntimeOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: APP_CONFIG, useValue: options.config },
      { provide: CLOCK, useValue: options.clock ?? new SystemClock() },
      { provide: ID_GENERATOR, useValue: options.ids ?? new RandomIdGenerator() },
    ];
    return { module: RuntimeModule, providers, exports: providers };
  }
}
