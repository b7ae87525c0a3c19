// `ecat confirm ID` and `ecat cancel ID`: status changes by hand, refused when not allowed.
import { changeStatusByHand } from '../../use-cases/change-status.ts';
import { ACTORS } from '../../domain/people/person.ts';
import type { RequestStatus } from '../../domain/request/record.ts';
import { EXIT, UsageError, writeLine, type Command } from './io.ts';
import { parseArgs } from './read-input.ts';
import { withRuntime } from './with-runtime.ts';

export function statusCommand(to: RequestStatus, event: string, reason: string): Command {
  return async (args, io) => {
    const { positional } = parseArgs(args, {});
    const [id] = positional;
    if (positional.length !== 1 || id === undefined) throw new UsageError('give one request id');
    return withRuntime(io, async (runtime) => {
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
    });
  };
}
