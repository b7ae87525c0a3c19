// The queue dashboard (bull-board) at /admin/queues, for the BaRS team and viewers: it has no
// credentials of its own (LIBRARIES.md). Read-only: the request record, not the job, is what people act on.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { upgradeWhenHttps } from './security.ts';

export const DASHBOARD_PATH = '/admin/queues';

const GOOGLE_FONTS = 'fonts.googleapis.com';
const DASHBOARD_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "object-src 'none'",
].join(';');

export async function dashboardRoutes(
  app: FastifyInstance,
  deps: { queue: Queue; followUpQueue: Queue; importQueue: Queue },
): Promise<void> {
  // bull-board's page has inline styles (and a font from Google, taken out below), so it gets a
  // policy of its own: its scripts from here only, nothing from another site.
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('content-security-policy', DASHBOARD_POLICY);
    upgradeWhenHttps(request, reply);
    if (typeof payload === 'string' && payload.includes(GOOGLE_FONTS)) {
      return payload.replace(/<link[^>]*fonts\.googleapis\.com[^>]*>/g, '');
    }
    return payload;
  });
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: [
      new BullMQAdapter(deps.followUpQueue, {
        readOnlyMode: true,
        description:
          'The repeating sweeps: overdue requests, and asking the BaRS proxy what is live',
      }),
      new BullMQAdapter(deps.importQueue, {
        readOnlyMode: true,
        description: 'CSV files uploaded on the Import page, imported one at a time',
        externalJobUrl: (job) => {
          const importId = (job.data as { importId?: string } | undefined)?.importId;
          return { displayText: 'import', href: importId ? `/import/${importId}` : '/import' };
        },
      }),
      new BullMQAdapter(deps.queue, {
        readOnlyMode: true,
        description:
          'Mail: the email to the BaRS mailbox for each request, its reminder, and "you are live" notices',
        externalJobUrl: (job) => {
          const requestId = (job.data as { requestId?: string } | undefined)?.requestId;
          return {
            displayText: 'request',
            href: requestId ? `/requests/${requestId}` : '/requests',
          };
        },
      }),
    ],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'ecat queue' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
}
