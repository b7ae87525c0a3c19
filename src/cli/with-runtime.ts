// Runs a command that needs Redis: opens the runtime, and turns "Redis unreachable" into one
// clear line and exit 3 (CONTRACT.md) wherever it happens.
import { loadConfig } from '../config.ts';
import { DependencyUnavailableError, isConnectionError, unreachable } from '../redis.ts';
import { openRuntime, type Runtime } from '../runtime.ts';
import { EXIT, writeLine, type CliIo } from './io.ts';

export async function withRuntime(
  io: CliIo,
  command: (runtime: Runtime) => Promise<number>,
): Promise<number> {
  const config = loadConfig(io.env);
  let runtime: Runtime | undefined;
  try {
    runtime = await openRuntime(config);
    return await command(runtime);
  } catch (error) {
    const known =
      error instanceof DependencyUnavailableError
        ? error
        : isConnectionError(error)
          ? unreachable(config.redis.url, error)
          : undefined;
    if (!known) throw error;
    writeLine(io.stderr, `ecat: ${known.message}`);
    return EXIT.unavailable;
  } finally {
    await runtime?.close();
  }
}
