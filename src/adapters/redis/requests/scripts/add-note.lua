-- Adds an event to a request's history without changing its status (a retry, a re-check, a
-- chaser): compare-and-set of the record alone, since no index depends on what a note changes.
-- KEYS[1] record
-- ARGV[1] record JSON as read   ARGV[2] record JSON with the note
-- Writes only if the record is still exactly ARGV[1]; otherwise returns 0 and writes nothing.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
