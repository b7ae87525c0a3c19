--[[
  A send has finished (delivered or not): it counts in the rate window from now on (mail-gate.ts).
  Its connection slot stays taken until release-mail-connection.lua, once the socket has closed.

  KEYS[1] sends: sorted set, slot token -> when the send finished
  ARGV[1] slot token
  ARGV[2] how long the set must outlive this change: the lease and the window (ms)
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if redis.call('ZADD', KEYS[1], 'XX', 'CH', now, ARGV[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
return 0
