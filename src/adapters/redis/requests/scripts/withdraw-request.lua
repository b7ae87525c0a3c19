-- Takes a request back out of Redis: used when the MULTI that accepted it had a step fail (Redis
-- does not roll back the other steps of a transaction), so no request stays queued without its job.
-- KEYS[1] record   KEYS[2] duplicate key   KEYS[3..] every index the request may be in
-- ARGV[1] id
-- The duplicate key is deleted only while it names this request: another request's guard stays.
redis.call('DEL', KEYS[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
for i = 3, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
return 1
