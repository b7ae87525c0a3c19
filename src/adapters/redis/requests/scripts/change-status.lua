-- Changes a request's status: compare-and-set of its record, with its indexes moved and the
-- sent/failed counter counted in the same step. Writes only if the record is still exactly the
-- JSON the change was computed from; otherwise returns 0 and writes nothing (the caller reads again).
-- KEYS[1] record         KEYS[2] duplicate key
-- KEYS[3] index of the status it leaves   KEYS[4] index of the status it takes
-- KEYS[5] index 'all'    KEYS[6] index 'outstanding'
-- KEYS[7] outstanding group (environment, urgency)  KEYS[8] outstanding by earliest test date
-- KEYS[9] counters (hash)
-- ARGV[1] record JSON as read   ARGV[2] record JSON after the change   ARGV[3] id
-- ARGV[4] score: acceptance time (ms)
-- ARGV[5] score: earliest test date (YYYYMMDD), or '' when it has none
-- ARGV[6] '1' when the new status is outstanding, else '0'
-- ARGV[7] counter to add one to ('sent', 'failed'), or ''
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end

local id, score = ARGV[3], ARGV[4]
redis.call('SET', KEYS[1], ARGV[2])
if KEYS[3] ~= KEYS[4] then redis.call('ZREM', KEYS[3], id) end
redis.call('ZADD', KEYS[4], score, id)
redis.call('ZADD', KEYS[5], score, id)
if ARGV[6] == '1' then
  redis.call('ZADD', KEYS[6], score, id)
  redis.call('ZADD', KEYS[7], score, id)
  if ARGV[5] ~= '' then redis.call('ZADD', KEYS[8], ARGV[5], id) end
  redis.call('SET', KEYS[2], id)
else
  -- No longer outstanding: out of those indexes, and its service may be requested again.
  redis.call('ZREM', KEYS[6], id)
  redis.call('ZREM', KEYS[7], id)
  redis.call('ZREM', KEYS[8], id)
  if redis.call('GET', KEYS[2]) == id then redis.call('DEL', KEYS[2]) end
end
if ARGV[7] ~= '' then redis.call('HINCRBY', KEYS[9], ARGV[7], 1) end
return 1
