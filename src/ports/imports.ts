// CSV files uploaded on the web page and imported by the worker: the upload's bytes until a worker
// has read them, the import's progress as it goes, its summary when done, and its refused-rows
// report. The web server writes the upload and reads the rest; the worker, perhaps in another
// process, does the import. The Redis adapter (adapters/redis/imports.ts) keeps them.

import type { Person } from '../domain/people/person.ts';

/** The import job (its own queue: an import may take minutes, and must not hold up the sweeps). */
export const IMPORT_CSV_JOB = 'import-csv';

export interface ImportJobData {
  importId: string;
}

/**
 * - `queued`: uploaded, waiting for a worker;
 * - `running`: rows are being imported;
 * - `done`: every row settled (the summary says how);
 * - `refused`: the file as a whole was refused before any row was stored (not CSV, bad header);
 * - `failed`: the import broke off (a fault, or its worker died); rows before it may be stored.
 */
export type ImportState = 'queued' | 'running' | 'done' | 'refused' | 'failed';

export interface ImportTally {
  rows: number;
  accepted: number;
  refused: number;
}

export interface ImportStatus {
  fileName: string;
  state: ImportState;
  /** Rows in the file (the header not counted), known once the worker has scanned it. */
  total?: number;
  tally: ImportTally;
  /** `done`: the summary lines; `refused` and `failed`: why. */
  lines: string[];
  /** Whether a refused-rows report was written. */
  hasReport: boolean;
  /** The signed-in person who uploaded it: their requests, their import to see. */
  uploadedBy?: Person;
}

export interface Imports {
  /** Keeps an uploaded file for the worker and answers the import's id (unguessable). */
  create(fileName: string, bytes: Uint8Array, uploadedBy?: Person): Promise<string>;
  status(id: string): Promise<ImportStatus | undefined>;
  /** The uploaded bytes; undefined once they are gone (deleted when the import ended, or expired). */
  upload(id: string): Promise<Uint8Array | undefined>;
  /** The import starts (or starts again): the tally and report of any earlier run are cleared. */
  begin(id: string, total: number): Promise<void>;
  /** The tally so far, with the report text of the rows refused since the last call. */
  progress(id: string, tally: ImportTally, reportText: string): Promise<void>;
  /** The import is over: its state and lines are kept, the uploaded bytes dropped. */
  finish(id: string, state: 'done' | 'refused' | 'failed', lines: string[]): Promise<void>;
  /** The refused-rows report (CSV text), if any row was refused. */
  report(id: string): Promise<string | undefined>;
}
