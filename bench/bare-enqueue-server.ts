// The HTTP baseline in a process of its own: a bare Fastify route that does one raw `queue.add` of
// the posted body, with the send job's options, and nothing else (no validation, record, security
// hooks or rate limit). Prints its address, then serves until stdin closes, as bench/http-server.ts.
import Fastify from 'fastify';
import { createQueue } from '../src/adapters/queues/queues.ts';
import { connectCommandRedis } from '../src/adapters/redis/connection.ts';
import { RAW_JOB_OPTIONS, rawJobData } from './payload.ts';
import { serveUntilStdinEnds } from './serve-until-stdin-ends.ts';
import { SEND_JOB } from '../src/ports/jobs.ts';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.QUEUE_PREFIX ?? 'ecat-bench-bare';
const redis = await connectCommandRedis(redisUrl);
const queue = createQueue(redis, prefix);
await queue.waitUntilReady();
const app = Fastify();
let n = 0;
app.post('/enqueue', async (request, reply) => {
  n += 1;
  await queue.add(SEND_JOB, rawJobData(n, request.body as object), RAW_JOB_OPTIONS);
  return reply.code(202).send({ id: `req-${n}` });
});
serveUntilStdinEnds(await app.listen({ port: 0, host: '127.0.0.1' }), async () => {
  await app.close();
  await queue.close();
  redis.disconnect();
});
