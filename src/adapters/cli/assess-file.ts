// What `validate` and `preview` share: read the request from a file or stdin, then assess it.
import { assessRequest, type Assessment } from '../../use-cases/assess.ts';
import { createFoundation, type Foundation } from '../../wiring/foundation.ts';
import { loadConfig } from '../../wiring/config.ts';
import { writeLine, type CliIo } from './io.ts';
import { readJsonInput } from './read-input.ts';

/** The assessment, or undefined when the input was not JSON (already reported on stderr). */
export async function assessFile(
  path: string,
  io: CliIo,
): Promise<{ assessment: Assessment; foundation: Foundation } | undefined> {
  const config = loadConfig(io.env);
  const input = await readJsonInput(path, io.stdin);
  if (!input.ok) {
    writeLine(io.stderr, `refused: ${input.message}`);
    return undefined;
  }
  const foundation = await createFoundation(config);
  return { assessment: await assessRequest(input.value, foundation), foundation };
}
