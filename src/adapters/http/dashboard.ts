// The queue dashboard (bull-board) at /admin/queues, behind the admin credentials: it has none of
// its own (LIBRARIES.md). Read-only: the request record, not the job, is what people act on.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';

export const DASHBOARD_PATH = '/admin/queues';

export async function dashboardRoutes(
  app: FastifyInstance,
  deps: { queue: Queue; followUpQueue: Queue; importQueue: Queue },
): Promise<void> {
  // bull-board's page loads its own scripts and styles; our strict policy would blank it.
  app.addHook('onSend', async (_request, reply) => {
    reply.removeHeader('content-security-policy');
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
