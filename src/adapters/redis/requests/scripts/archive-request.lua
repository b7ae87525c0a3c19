-- Takes a closed request out of Redis once it is safe in an archive file (`ecat archive`): its
-- record, its place in every index, its short reference and anything else filed under its id.
-- Removes only a record that is still closed and still exactly the JSON the archive holds: one
-- changed since (a note, a status change) is kept, and the archive's copy is merely the older.
-- KEYS[1] record              KEYS[2] duplicate key of its service and environment
-- KEYS[3] reference key       KEYS[4] catalogue check times (hash: request id -> when)
-- KEYS[5..] every index the request may be in: each status's, 'all', 'outstanding', its
--           outstanding group (environment, urgency), outstanding by earliest test date
-- ARGV[1] id   ARGV[2] record JSON as archived   ARGV[3..] the closed statuses
-- Returns 1 removed, 0 kept (changed, or no longer closed), -1 already gone.
local json = redis.call('GET', KEYS[1])
if not json then return -1 end
if json ~= ARGV[2] then return 0 end
local status = cjson.decode(json).status
local closed = false
for i = 3, #ARGV do
  if ARGV[i] == status then closed = true end
end
if not closed then return 0 end

local id = ARGV[1]
redis.call('DEL', KEYS[1])
-- A key that names another request (a newer one for the same service, a reference shared by two
-- ids) is that request's and stays.
if redis.call('GET', KEYS[2]) == id then redis.call('DEL', KEYS[2]) end
if redis.call('GET', KEYS[3]) == id then redis.call('DEL', KEYS[3]) end
redis.call('HDEL', KEYS[4], id)
for i = 5, #KEYS do redis.call('ZREM', KEYS[i], id) end
return 1
