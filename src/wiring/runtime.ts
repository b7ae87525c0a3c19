// Wiring for the commands that need Redis: the foundation plus the command connection, the queue,
// the record store and, for the worker, the mailer. Built from configuration once.
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { createWorkerMetrics, type WorkerMetrics } from '../adapters/queues/worker-metrics.ts';
import { errorKind, throttledLog } from '../adapters/log-throttle.ts';
import { createFoundation, systemClock, type Clock, type Foundation } from './foundation.ts';
import type { Config } from './config.ts';
import { createMailPause, RESUME_MAIL_JOB } from '../adapters/queues/mail-pause.ts';
import { createFollowUpJobs } from '../adapters/queues/follow-up-jobs.ts';
import { recordJobsWriter } from '../adapters/queues/record-jobs.ts';
import type { FollowUpJobs } from '../ports/jobs.ts';
import { createFollowUps } from './follow-ups.ts';
import { pacedDirectory } from './paced-directory.ts';
import { importHandlers } from './imports.ts';
import { createImportWorker, IMPORT_QUEUE_NAME } from '../adapters/queues/import-queue.ts';
import { createWiredMailer } from './mail.ts';
import type { IntakeDeps } from '../use-cases/submit.ts';
import {
  createQueue,
  DEFAULT_RETRY,
  FOLLOW_UP_QUEUE_NAME,
  type RetryPolicy,
} from '../adapters/queues/queues.ts';
import {
  closeWithin,
  createFollowUpWorker,
  createSendWorker,
  type WorkerOptions,
} from '../adapters/queues/workers.ts';
import {
  connectCommandRedis,
  createWorkerRedis,
  keepScriptsCached,
  onRedis,
  refuseEvictingRedis,
  type Redis,
} from '../adapters/redis/connection.ts';
import { createRequestStore } from '../adapters/redis/requests/redis-request-store.ts';
import type { RequestStore } from '../ports/request-store.ts';
import { createSigner, type Signer } from '../adapters/signing.ts';
import { sharedSecret } from '../adapters/redis/shared-secret.ts';
import { emailLinksFor } from '../adapters/http/signed-links.ts';

export interface Runtime {
  config: Config;
  foundation: Foundation;
  redis: Redis;
  /** The mail queue: request emails, reminders, notices. */
  queue: Queue;
  /** The follow-up queue: the repeating sweeps and checks. */
  followUpQueue: Queue;
  /** The import queue: files uploaded on the web page. */
  importQueue: Queue;
  store: RequestStore;
  /** The chaser and notice jobs a use case adds or takes back. */
  followUpJobs: FollowUpJobs;
  intakeDeps(channel: string): IntakeDeps;
  /** Signs sessions, forms and email links alike in every process (SIGNING_SECRETS or Redis's). */
  signer: Signer;
  close(): Promise<void>;
}

export async function openRuntime(
  config: Config,
  options: { now?: Clock; retry?: RetryPolicy } = {},
): Promise<Runtime> {
  const now = options.now ?? systemClock;
  const unpaced = await createFoundation(config, now);
  const redis = await connectCommandRedis(config.redis);
  // DoS Search's limit is the API's, not this process's: every lookup takes its turn in Redis.
  const foundation = {
    ...unpaced,
    directory: pacedDirectory(unpaced.directory, config, redis),
  };
  const queue = createQueue(redis, config.queuePrefix);
  const followUpQueue = createQueue(redis, config.queuePrefix, FOLLOW_UP_QUEUE_NAME);
  const importQueue = createQueue(redis, config.queuePrefix, IMPORT_QUEUE_NAME);
  const retry = options.retry ?? DEFAULT_RETRY;
  // The store defines its scripts on the connection now, so they are cached with the queues'.
  const store = createRequestStore(
    redis,
    config.queuePrefix,
    now,
    recordJobsWriter(queue, retry, now),
    config.redis.waitTimeoutMs,
  );
  let secrets = config.people.signingSecrets;
  try {
    await onRedis(redis, () => refuseEvictingRedis(redis, config.redis.describe));
    if (secrets.length === 0) secrets = [await sharedSecret(redis, config.queuePrefix)];
    await onRedis(redis, async () => {
      // The queue's Lua scripts must be on the connection before intake builds its first MULTI.
      await Promise.all([
        queue.waitUntilReady(),
        followUpQueue.waitUntilReady(),
        importQueue.waitUntilReady(),
      ]);
      // Failures after start reach the next command that needs Redis; nothing to report here.
      await keepScriptsCached(redis, () => undefined);
    });
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return {
    config,
    foundation,
    redis,
    queue,
    followUpQueue,
    importQueue,
    store,
    followUpJobs: createFollowUpJobs(queue),
    signer: createSigner(secrets),
    intakeDeps: (channel) => ({
      ...foundation,
      store,
      mailFrom: config.mail.from,
      chaser: config.chaser,
      channel,
    }),
    async close() {
      await Promise.all([queue.close(), followUpQueue.close(), importQueue.close()]);
      redis.disconnect();
    },
  };
}

/** How long a stopping worker waits for the jobs in hand: a deployment's grace must be longer. */
export const WORKER_DRAIN_MS = 30_000;

export interface RunningWorker {
  /** Finishes the job in hand (up to `graceMs`), then closes connections. */
  stop(graceMs?: number): Promise<boolean>;
}

export function startWorker(
  runtime: Runtime,
  log: Logger,
  options: Partial<WorkerOptions> = {},
  metrics: WorkerMetrics = createWorkerMetrics(),
): RunningWorker {
  const { config, foundation } = runtime;
  const connection = createWorkerRedis(config.redis);
  const connectionTrouble = throttledLog(log, 'warn');
  connection.on('error', (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    connectionTrouble(errorKind(error), { err: message }, `worker Redis connection: ${message}`);
  });
  const { mailer, description, warnings } = createWiredMailer(
    config.mail,
    runtime.redis,
    config.queuePrefix,
    foundation.now,
  );
  const mailPause = createMailPause(runtime.queue, runtime.followUpQueue);
  const followUps = createFollowUps(runtime, mailer, log);
  const worker = createSendWorker(
    connection,
    {
      store: runtime.store,
      directory: foundation.directory,
      mailer,
      renderer: foundation.renderer,
      mail: { from: config.mail.from, to: config.mail.to },
      log,
      emailLinks: emailLinksFor(runtime.signer, {
        ...config.http,
        linkDays: config.people.linkDays,
        now: foundation.now,
      }),
    },
    {
      prefix: config.queuePrefix,
      concurrency: config.worker.concurrency,
      lockDurationMs: config.worker.lockMs,
      stalledIntervalMs: config.worker.lockMs,
      ...options,
    },
    { pause: mailPause, otherJobs: followUps.handlers.mail },
  );
  const sweeper = createFollowUpWorker(
    connection,
    { ...followUps.handlers.sweeps, [RESUME_MAIL_JOB]: () => mailPause.resume() },
    { prefix: config.queuePrefix },
    log,
  );
  const importer = createImportWorker(
    connection,
    importHandlers(runtime, log),
    { prefix: config.queuePrefix },
    log,
  );
  metrics.watch(worker, 'mail');
  metrics.watch(sweeper, 'follow-up');
  metrics.watch(importer, 'import');
  log.info(
    `worker started: queue ${config.queuePrefix}, concurrency ${config.worker.concurrency}, ${description}`,
  );
  for (const warning of warnings) log.warn(warning);
  return {
    async stop(graceMs = WORKER_DRAIN_MS) {
      await followUps.ready;
      const closed = await Promise.all([
        closeWithin(worker, graceMs),
        closeWithin(sweeper, graceMs),
        closeWithin(importer, graceMs),
      ]);
      const clean = closed.every(Boolean);
      await mailer.close();
      connection.disconnect();
      return clean;
    },
  };
}
