// `ecat submit FILE|-`: accepts a request as POST /api/requests does, and queues its email.
import { submitRequest } from '../../use-cases/submit.ts';
import { EXIT, writeLine, type Command } from './io.ts';
import { onePath, parseArgs, readJsonInput } from './read-input.ts';
import { describeAssessment, formatErrors } from './report.ts';
import { withRuntime } from './with-runtime.ts';

export const run: Command = async (args, io) => {
  const { positional, flags } = parseArgs(args, { flags: ['--json'] });
  const path = onePath(positional);
  const input = await readJsonInput(path, io.stdin);
  if (!input.ok) {
    writeLine(io.stderr, `refused: ${input.message}`);
    return EXIT.refused;
  }
  return withRuntime(io, async (runtime) => {
    const result = await submitRequest(input.value, runtime.intakeDeps('cli'));
    if (result.outcome === 'accepted') {
      if (flags.has('--json')) {
        const { id, status, urgency, warnings, careConnect } = result;
        writeLine(
          io.stdout,
          JSON.stringify({ id, status, urgency: urgency.level, warnings, careConnect }, null, 2),
        );
      } else {
        writeLine(io.stdout, `accepted: ${result.id}`);
        writeLine(io.stdout, `  urgency: ${result.urgency.level} (${result.urgency.reason})`);
        writeLine(io.stdout, `  CareConnect: ${result.careConnect.status}`);
        for (const warning of result.warnings) writeLine(io.stdout, `  warning: ${warning}`);
      }
      return EXIT.ok;
    }
    if (result.outcome === 'duplicate') {
      writeLine(io.stderr, `refused: duplicate of ${result.existingId}`);
      for (const line of formatErrors(result.errors)) writeLine(io.stderr, line);
      return EXIT.refused;
    }
    for (const line of describeAssessment(result)) writeLine(io.stderr, line);
    return EXIT.refused;
  });
};
