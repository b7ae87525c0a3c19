// `ecat cancel ID`: the request is no longer wanted.
import { statusCommand } from './change-status.ts';

export const run = statusCommand('cancelled', 'cancelled', 'cancelled by hand');
