// `ecat migrate-keys --from PREFIX`: moves a deployment's keys from an old prefix to QUEUE_PREFIX,
// for the move to Redis Cluster (QUEUE_PREFIX='{ecat}'). Run it with ecat stopped.
import { loadConfig } from '../../wiring/config.ts';
import { connectCommandRedis, onRedis } from '../redis/connection.ts';
import { moveKeys } from '../redis/move-keys.ts';
import { defineCommand, REDIS_UNREACHABLE } from './command.ts';
import { EXIT, UsageError, writeLine } from './io.ts';

export const command = defineCommand(
  {
    about: [
      'Moves every key under the old prefix (--from) to QUEUE_PREFIX, on every primary: for Redis',
      "Cluster, QUEUE_PREFIX must be a hash tag such as '{ecat}'. Stop ecat first (web and",
      'workers); a key whose new name is taken is left where it is, and listed.',
    ],
    options: {
      from: {
        type: 'string',
        value: 'PREFIX',
        description: 'the prefix the keys have now (the old QUEUE_PREFIX, e.g. ecat)',
      },
    },
    exits: {
      0: 'every key moved',
      1: 'some keys left where they were, their new names being taken',
      3: REDIS_UNREACHABLE,
    },
  },
  async ({ values }, io) => {
    const from = values.from;
    if (from === undefined || !/^([A-Za-z0-9_-]+|\{[A-Za-z0-9_-]+\})$/.test(from)) {
      throw new UsageError(
        '--from must name the old prefix (letters, digits, _ or -, or in braces)',
      );
    }
    const config = loadConfig(io.env);
    const to = config.queuePrefix;
    if (from === to)
      throw new UsageError(`--from ${from} is QUEUE_PREFIX already: nothing to move`);
    const redis = await connectCommandRedis(config.redis);
    try {
      const report = await onRedis(redis, () =>
        moveKeys(redis, from, to, (moved) => {
          if (moved > 0) io.stderr.write(`\rmoved ${moved} keys`);
        }),
      );
      io.stderr.write('\n');
      writeLine(io.stdout, `moved ${report.moved} keys from ${from}: to ${to}:`);
      for (const key of report.taken) writeLine(io.stderr, `left (its new name is taken): ${key}`);
      return report.taken.length === 0 ? EXIT.ok : EXIT.refused;
    } finally {
      redis.disconnect();
    }
  },
);
