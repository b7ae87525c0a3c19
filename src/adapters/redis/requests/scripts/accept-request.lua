-- Files a new request: its record, its indexes and, while it is outstanding, the duplicate key of
-- its service and environment. Runs inside the accepting MULTI, next to the request's jobs.
-- KEYS[1] record        KEYS[2] duplicate key      KEYS[3] index of its status
-- KEYS[4] index 'all'   KEYS[5] index 'outstanding'
-- KEYS[6] outstanding group (environment, urgency)  KEYS[7] outstanding by earliest test date
-- ARGV[1] id   ARGV[2] record JSON   ARGV[3] score: acceptance time (ms)
-- ARGV[4] score: earliest test date (YYYYMMDD), or '' when it has none
-- ARGV[5] '1' when the status is outstanding, else '0'
-- Refuses, writing nothing, when the duplicate key is held by another request. Under the accept's
-- WATCH the key is always free when the MULTI runs; the check keeps the script safe on its own.
local holder = redis.call('GET', KEYS[2])
if holder then return redis.error_reply('ECAT_DUPLICATE held by ' .. holder) end

local id, score = ARGV[1], ARGV[3]
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[3], score, id)
redis.call('ZADD', KEYS[4], score, id)
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[5], score, id)
  redis.call('ZADD', KEYS[6], score, id)
  if ARGV[4] ~= '' then redis.call('ZADD', KEYS[7], ARGV[4], id) end
  redis.call('SET', KEYS[2], id)
end
return 1
