// `ecat confirm ID`: the BaRS team has configured the service in the catalogue.
import { statusCommand } from './change-status.ts';

export const command = statusCommand(
  'configured',
  'configured',
  'confirmed in the catalogue by hand',
  [
    'For when the BaRS team has configured the service in the Endpoint Catalogue: the request is',
    'closed, its waiting reminder is taken off the queue and it is no longer overdue.',
  ],
);
