// `ecat confirm ID` and `ecat cancel ID`: status changes by hand, refused when not allowed.
import { changeStatusByHand } from '../../use-cases/change-status.ts';
import { ACTORS } from '../../domain/people/person.ts';
import type { RequestStatus } from '../../domain/request/record.ts';
import { defineCommand, REDIS_UNREACHABLE, type CliCommand } from './command.ts';
import { EXIT, writeLine } from './io.ts';
import { withRuntime } from './with-runtime.ts';

export function statusCommand(
  to: RequestStatus,
  event: string,
  reason: string,
  about: readonly string[],
): CliCommand {
  return defineCommand(
    {
      operand: { name: 'ID', description: 'the request id (req-…), as `ecat list` shows it' },
      about,
      options: {},
      exits: {
        0: `the request is now ${to}`,
        1: `no request has that id, or its status cannot become ${to}`,
        3: REDIS_UNREACHABLE,
      },
    },
    async ({ operand: id }, io) =>
      withRuntime(io, async (runtime) => {
        const result = await changeStatusByHand(runtime, {
          id,
          to,
          event,
          reason,
          by: 'hand (cli)',
          actor: ACTORS.cli,
        });
        if (result.ok) {
          writeLine(io.stdout, `${id}: ${to}`);
          return EXIT.ok;
        }
        writeLine(
          io.stderr,
          result.reason === 'not-found'
            ? `ecat ${event}: no request ${id}`
            : `ecat ${event}: ${id} is ${result.record.status}; it cannot become ${to}`,
        );
        return EXIT.refused;
      }),
  );
}
