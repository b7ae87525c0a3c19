// `ecat submit FILE|-`: accepts a request as POST /api/requests does, and queues its email.
import { submitRequest } from '../../use-cases/submit.ts';
import { defineCommand, fileOperand, REDIS_UNREACHABLE } from './command.ts';
import { EXIT, writeLine } from './io.ts';
import { readJsonInput } from './read-input.ts';
import { describeAssessment, formatErrors } from './report.ts';
import { withRuntime } from './with-runtime.ts';

export const command = defineCommand(
  {
    operand: fileOperand('the request as JSON'),
    about: [
      'Judged as `ecat validate` judges it and as POST /api/requests accepts it; prints its id and',
      'urgency. A request for a service and environment with one outstanding already is refused.',
    ],
    options: {
      json: {
        type: 'boolean',
        description: 'print {id, status, urgency, warnings, careConnect} as JSON',
      },
    },
    exits: {
      0: 'accepted and queued',
      1: 'refused (also a duplicate of an outstanding request), or the file is not JSON',
      3: REDIS_UNREACHABLE,
    },
  },
  async ({ operand, values }, io) => {
    const input = await readJsonInput(operand, io.stdin);
    if (!input.ok) {
      writeLine(io.stderr, `refused: ${input.message}`);
      return EXIT.refused;
    }
    return withRuntime(io, async (runtime) => {
      const result = await submitRequest(input.value, runtime.intakeDeps('cli'));
      if (result.outcome === 'accepted') {
        if (values.json) {
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
  },
);
