// `ecat cancel ID`: the request is no longer wanted.
import { statusCommand } from './change-status.ts';

export const command = statusCommand('cancelled', 'cancelled', 'cancelled by hand', [
  'For a request no longer wanted: it is closed and its waiting reminder is taken off the queue,',
  'so the service and environment can be asked for again.',
]);
