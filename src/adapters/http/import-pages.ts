// The CSV upload pages (README "Importing a CSV file"), behind the admin credentials like the form:
// GET /import is the upload form; POST /import keeps the file in Redis (up to IMPORT_MAX_BYTES),
// queues its import for the worker and leads to GET /import/:id, a page that refreshes itself
// (no JavaScript) until it ends with the summary `ecat import` prints; GET /import/:id/report is
// the refused-rows report to download.
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CSV_COLUMNS } from '../../domain/csv/columns.ts';
import { isUnavailable } from '../../domain/errors.ts';
import type { Imports, ImportStatus } from '../../ports/imports.ts';
import { canSee } from './principal.ts';
import { CSRF_FIELD, type Csrf } from './csrf.ts';
import type { Views } from './views.ts';

export interface ImportPageOptions {
  /** The uploads, their progress and reports. */
  imports: Imports;
  /** The server's own, as the form uses them: one page environment, one CSRF signer. */
  views: Views;
  csrf: Csrf;
  /** Queues the import of a stored upload for the worker. */
  queueImport(importId: string): Promise<void>;
  /** The largest file taken (IMPORT_MAX_BYTES). */
  maxBytes: number;
  now: () => Date;
  /** Uploads per minute from one address. */
  uploadRateLimit?: number;
}

const EXPIRED =
  'The form had expired or came from another site. Choose the file and upload it again.';

/** A size as the NHS.UK file upload pattern words it: "20 MB", "500 KB". */
function inWords(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / (1024 * 1024)).toFixed(1))} MB`;
  if (bytes >= 1024) return `${Math.floor(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/**
 * The name the browser gave, as the summary shows it: no folders (old browsers sent the whole
 * path), no control characters, not endless.
 */
function uploadName(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- control characters are what is taken out
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, 120);
  return clean === '' ? 'upload.csv' : clean;
}

/** The report's file name: beside the upload's, as `ecat import` names it, in plain characters. */
function reportName(fileName: string): string {
  return `${fileName.replace(/\.csv$/i, '').replace(/[^A-Za-z0-9._-]/g, '_')}.refused.csv`;
}

const count = (n: number) => n.toLocaleString('en-GB');

/** The one sentence saying where the import is. */
function progressLine(status: ImportStatus): string {
  const { tally, total } = status;
  const of = total === undefined ? '' : ` of ${count(total)}`;
  return `Importing: ${count(tally.rows)}${of} rows, ${count(tally.refused)} refused so far`;
}

export async function importRoutes(app: FastifyInstance, options: ImportPageOptions) {
  const { imports, csrf, views } = options;
  const now = () => options.now().getTime();
  // Registered in this scope only: no other route takes multipart bodies.
  await app.register(multipart);

  // A person reading a page gets a page when Redis is away; every other fault goes to the root.
  app.setErrorHandler((error, _request, reply) => {
    if (!isUnavailable(error)) throw error;
    return views.unavailable(
      reply,
      'Imports cannot be stored or read at the moment. Try again in a few minutes.',
    );
  });

  function uploadPage(reply: FastifyReply, error?: string, status = 200) {
    return views.send(
      reply,
      'import.njk',
      {
        title: error ? 'Error: Import requests' : 'Import requests',
        nav: 'import',
        error,
        maxSize: inWords(options.maxBytes),
        columns: CSV_COLUMNS.map((column) => column.name),
        required: CSV_COLUMNS.filter((column) => column.required).map((column) => column.name),
        csrfField: CSRF_FIELD,
        csrf: csrf.issue(now(), reply.request),
      },
      status,
    );
  }

  function notFound(reply: FastifyReply) {
    return views.send(
      reply,
      'message.njk',
      {
        title: 'Import not found',
        heading: 'Import not found',
        message:
          'There is no import at this address. An import is kept for 7 days after its upload.',
        link: { href: '/import', text: 'Import a file' },
      },
      404,
    );
  }

  app.get('/import', (_request, reply) => uploadPage(reply));

  app.post(
    '/import',
    { config: { rateLimit: { max: options.uploadRateLimit ?? 20, timeWindow: '1 minute' } } },
    async (request, reply) => {
      // The token comes before the file in the form, so it is read before the file is.
      const part = request.isMultipart()
        ? await request.file({
            limits: { fileSize: options.maxBytes, files: 1, fields: 4, fieldSize: 1024 },
          })
        : undefined;
      const token = part?.fields[CSRF_FIELD];
      const tokenValue =
        token !== undefined && !Array.isArray(token) && token.type === 'field'
          ? String(token.value)
          : undefined;
      if (!csrf.verify(request, tokenValue, now())) {
        part?.file.resume();
        request.log.warn('upload refused: missing, expired or cross-site CSRF token');
        return uploadPage(reply, EXPIRED, 403);
      }
      if (part === undefined || part.filename === '') {
        part?.file.resume();
        return uploadPage(reply, 'Select a CSV file', 400);
      }
      let bytes: Buffer;
      try {
        bytes = await part.toBuffer();
      } catch (error) {
        if (!(error instanceof app.multipartErrors.RequestFileTooLargeError)) throw error;
        return uploadPage(
          reply,
          `The selected file must be smaller than ${inWords(options.maxBytes)}`,
          413,
        );
      }
      if (bytes.length === 0) return uploadPage(reply, 'The selected file is empty', 400);
      const id = await imports.create(uploadName(part.filename), bytes, request.principal.person);
      await options.queueImport(id);
      request.log.info({ importId: id, bytes: bytes.length }, 'import queued');
      return reply.redirect(`/import/${id}`, 303);
    },
  );

  app.get<{ Params: { id: string } }>('/import/:id', async (request, reply) => {
    const { id } = request.params;
    // The store answers nothing for an id it could never have given.
    const status = await imports.status(id);
    // Another requester's import is as good as unknown to them.
    if (!status || !canSee(request.principal, { submittedBy: status.uploadedBy })) {
      return notFound(reply);
    }
    const waiting = status.state === 'queued' || status.state === 'running';
    return views.send(reply, 'import-progress.njk', {
      title: waiting ? 'Importing requests' : 'Import of requests',
      nav: 'import',
      id,
      status,
      refresh: waiting,
      progress: progressLine(status),
      tally: {
        rows: count(status.tally.rows),
        accepted: count(status.tally.accepted),
        refused: count(status.tally.refused),
        total: status.total === undefined ? undefined : count(status.total),
      },
    });
  });

  app.get<{ Params: { id: string } }>('/import/:id/report', async (request, reply) => {
    const { id } = request.params;
    const status = await imports.status(id);
    const mine =
      status !== undefined && canSee(request.principal, { submittedBy: status.uploadedBy });
    const report = mine && status.hasReport ? await imports.report(id) : undefined;
    if (!status || report === undefined) return notFound(reply);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${reportName(status.fileName)}"`)
      .send(report);
  });
}
