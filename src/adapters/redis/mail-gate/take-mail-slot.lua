--[[
  Takes a slot to send one email, if both limits allow it now (the mail gate, mail-gate.ts):
  at most ARGV[2] SMTP connections open at once across every worker (a lease each, so a worker
  that dies frees its slot when the lease runs out), and at most ARGV[4] sends in any window of
  ARGV[5] ms. A send still under way counts in the window until it finishes (see
  finish-mail-send.lua), so no window ever holds more arrivals at the server than the limit.
  Time is Redis's own, the one clock every worker shares.

  KEYS[1] connections: sorted set, slot token -> lease expiry (ms)
  KEYS[2] sends: sorted set, slot token -> when the send finished, or its lease expiry while it runs
  ARGV[1] slot token (unique per send)
  ARGV[2] connections allowed at once
  ARGV[3] lease (ms): longest a send can take
  ARGV[4] sends allowed per window (0: no rate limit)
  ARGV[5] window (ms)

  Returns {0, 0} when the slot is taken, else {ms to wait, exact}: exact (1) when the wait ends
  as a finished send leaves the window, 0 when it waits on a send or connection still under way
  (which usually ends long before its lease: ask again soon).
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local lease = tonumber(ARGV[3])
local perWindow = tonumber(ARGV[4])
local window = tonumber(ARGV[5])

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {math.max(1, tonumber(first[2]) - now), 0}
end

if perWindow > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  if redis.call('ZCARD', KEYS[2]) >= perWindow then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    local oldestAt = tonumber(oldest[2])
    return {math.max(1, oldestAt + window - now), oldestAt <= now and 1 or 0}
  end
  redis.call('ZADD', KEYS[2], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], lease + window)
end

redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
return {0, 0}
