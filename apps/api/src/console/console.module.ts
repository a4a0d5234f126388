import { Module } from '@nestjs/common';
import { ConsoleAssets, consoleDirectory } from './console-assets';
import { consoleConfigFromEnv } from './console-config';
import { CONSOLE_ASSETS, CONSOLE_CONFIG, ConsoleController } from './console.controller';
import { RecordSearchController } from './record-search.controller';

/** The web console's page and bundle, its sign-in configuration, and the name search it finds records with. */
@Module({
  controllers: [ConsoleController, RecordSearchController],
  providers: [
    { provide: CONSOLE_ASSETS, useFactory: () => new ConsoleAssets(consoleDirectory()) },
    { provide: CONSOLE_CONFIG, useFactory: () => consoleConfigFromEnv() },
  ],
})
export class ConsoleModule {}
