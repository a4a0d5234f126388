/** The fault suite runs the BUILT apps as real processes: build them before any scenario (see build.ts). */
import { ensureBuilt } from './build';

export default async function globalSetup(): Promise<void> {
  process.stdout.write('\n');
  ensureBuilt({ skipEnv: 'FAULTS_SKIP_BUILD', forceEnv: 'FAULTS_BUILD', say: (line) => process.stdout.write(`[faults] ${line}\n`) });
}
