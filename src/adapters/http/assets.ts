// NHS.UK frontend's compiled CSS and JS and its images, under /assets (the path its CSS and page
// template expect), and our own few styles. Only these: the Nunjucks sources beside them are not
// for browsers.
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { FRONTEND_DIR, PAGE_TEMPLATES_DIR } from './views.ts';

const BUNDLES = ['nhsuk-frontend.min.css', 'nhsuk-frontend.min.js'];

export async function frontendAssets(app: FastifyInstance): Promise<void> {
  const nhsuk = join(FRONTEND_DIR, 'nhsuk');
  await app.register(fastifyStatic, {
    root: join(nhsuk, 'assets'),
    prefix: '/assets/',
    maxAge: '1d',
  });
  for (const file of BUNDLES) {
    app.get(`/assets/${file}`, (_request, reply) => reply.sendFile(file, nhsuk, { maxAge: '1d' }));
  }
  // Ours change with ecat, not with nhsuk-frontend: revalidated rather than cached for a day.
  app.get('/assets/ecat.css', (_request, reply) =>
    reply.sendFile('ecat.css', PAGE_TEMPLATES_DIR, { maxAge: 0 }),
  );
}
