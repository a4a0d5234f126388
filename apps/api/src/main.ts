import 'reflect-metadata';
import { bootstrapApi } from './bootstrap';

bootstrapApi().catch((error: unknown) => {
  console.error(JSON.stringify({ level: 60, time: Date.now(), msg: 'Grant Ledger API failed to start', error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
});
