--[[
  The connection of a send has closed: its slot is free for any worker (mail-gate.ts).

  KEYS[1] connections: sorted set, slot token -> lease expiry
  ARGV[1] slot token
]]
return redis.call('ZREM', KEYS[1], ARGV[1])
