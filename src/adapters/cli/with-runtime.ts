// Runs a command that needs Redis: opens the runtime, runs the command, closes the runtime. Redis
// away surfaces as DependencyUnavailableError, which the CLI edge (main.ts) maps to exit 3.
import { loadConfig } from '../../wiring/config.ts';
import { openRuntime, type Runtime } from '../../wiring/runtime.ts';
import type { CliIo } from './io.ts';

export async function withRuntime(
  io: CliIo,
  command: (runtime: Runtime) => Promise<number>,
): Promise<number> {
  const runtime = await openRuntime(loadConfig(io.env));
  try {
    return await command(runtime);
  } finally {
    await runtime.close();
  }
}
