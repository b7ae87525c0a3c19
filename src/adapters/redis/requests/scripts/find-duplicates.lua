-- The duplicate check of an accept, run under WATCH just before its MULTI (see ../accept.ts).
-- KEYS: the duplicate keys of the new requests, one per (dosServiceId, environment).
-- Returns, for each key, the id of the outstanding request holding it, or nil when it is free.
-- A held key is written again unchanged: that makes the EXEC which follows under WATCH abort, so a
-- taken guard means the whole accepting transaction, jobs included, writes nothing.
local holders = {}
for i, key in ipairs(KEYS) do
  local id = redis.call('GET', key)
  holders[i] = id
  if id then redis.call('SET', key, id, 'KEEPTTL') end
end
return holders
