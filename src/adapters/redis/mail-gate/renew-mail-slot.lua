--[[
  A send still under way keeps its slot (mail-gate.ts): its lease starts again from now, and
  while the send has not finished, so does its place in the rate window. A lease only runs out
  when its worker has stopped renewing it (killed mid-send).

  KEYS[1] connections: sorted set, slot token -> lease expiry
  KEYS[2] sends: sorted set, slot token -> when the send finished, or its lease expiry while it runs
  ARGV[1] slot token
  ARGV[2] lease (ms)
  ARGV[3] 1 while the send is under way, 0 once it has finished
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local expiry = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', expiry, ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[2], 'XX', expiry, ARGV[1])
end
return 0
