-- Gives an outstanding request new test dates: compare-and-set of its record, filed again in the
-- same step under the urgency and earliest test date the new dates give it, so the outstanding
-- page's groups, the metrics and the overdue sweep never see the record and its indexes disagree.
-- Writes only if the record is still exactly the JSON the change was computed from (and so still
-- outstanding); otherwise returns 0 and writes nothing (the caller reads again).
-- KEYS[1] record
-- KEYS[2] outstanding group it leaves (environment, urgency before)
-- KEYS[3] outstanding group it joins (environment, urgency after)
-- KEYS[4] outstanding by earliest test date
-- ARGV[1] record JSON as read   ARGV[2] record JSON after the change   ARGV[3] id
-- ARGV[4] score: acceptance time (ms)
-- ARGV[5] score: the new earliest test date (YYYYMMDD), or '' when it has none
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end

local id = ARGV[3]
redis.call('SET', KEYS[1], ARGV[2])
if KEYS[2] ~= KEYS[3] then redis.call('ZREM', KEYS[2], id) end
redis.call('ZADD', KEYS[3], ARGV[4], id)
if ARGV[5] == '' then
  redis.call('ZREM', KEYS[4], id)
else
  redis.call('ZADD', KEYS[4], ARGV[5], id)
end
return 1
