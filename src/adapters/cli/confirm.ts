// `ecat confirm ID`: the BaRS team has configured the service in the catalogue.
import { statusCommand } from './change-status.ts';

export const run = statusCommand('configured', 'configured', 'confirmed in the catalogue by hand');
