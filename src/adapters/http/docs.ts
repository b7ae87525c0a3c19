// The API's own page: the OpenAPI document browsable at /docs with Swagger UI, every file served
// from here (swagger-ui-dist from npm), nothing from a CDN. /docs is a page, so it sits behind
// ADMIN_PASSWORD like the others (access.ts); the document it shows is therefore served under
// /docs too, since /api/openapi.json wants the API's token, which a person at a browser lacks.
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from './openapi.ts';

export const DOCS_PATH = '/docs';

const SWAGGER_UI_DIR = dirname(
  createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'),
);
/** Only what the page loads: not swagger-ui-dist's own index.html and its inline set-up. */
const SWAGGER_UI_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png'];
/** Starts Swagger UI: a file, not an inline script, so the CSP needs no exception for it. */
const START_SCRIPT = fileURLToPath(new URL('docs-start.js', import.meta.url));

const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>ecat API</title>
    <link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
    <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
    <script src="${DOCS_PATH}/docs-start.js"></script>
  </body>
</html>
`;

export async function docsRoutes(app: FastifyInstance): Promise<void> {
  const document = openApiDocument();
  // For sendFile only: each file is routed by name below, so nothing else in the folder is served.
  await app.register(fastifyStatic, { root: SWAGGER_UI_DIR, serve: false });
  app.get(DOCS_PATH, (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  app.get(`${DOCS_PATH}/openapi.json`, () => Promise.resolve(document));
  app.get(`${DOCS_PATH}/docs-start.js`, (_request, reply) =>
    reply.sendFile('docs-start.js', dirname(START_SCRIPT)),
  );
  for (const file of SWAGGER_UI_FILES) {
    app.get(`${DOCS_PATH}/${file}`, (_request, reply) => reply.sendFile(file, { maxAge: '1d' }));
  }
}
