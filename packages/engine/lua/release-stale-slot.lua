--[[
  The repair path of concurrency keys: releases a slot (or a place in line) its run no longer has,
  iff the run is still at the revision the caller read (so a grant committed in between wins), and
  forgets the key once nobody holds or waits for it.

  KEYS[1]  the member's run hash (fields: rev, doc)
  KEYS[2]  the key's holders zset
  KEYS[3]  the key's waiters zset
  KEYS[4]  the registry of keys in use (zset)

  ARGV[1]  member "<runId>|<scope>", or "" to only forget an unused key
  ARGV[2]  the run's revision the caller read, or "" when the run was missing
  ARGV[3]  the key value (member of KEYS[4])
  ARGV[4]  "held" to remove the member from the holders, "waiting" from the waiters (only the set
           the caller found it stale in: the sets were read before the run, so the member may have
           moved from one to the other in between, and its new place is not stale)

  Returns {holder released (0/1), waiter released (0/1)}.
]]
local released = {0, 0}
if ARGV[1] ~= '' then
  local rev = redis.call('HGET', KEYS[1], 'rev') or ''
  if rev == ARGV[2] then
    if ARGV[4] == 'held' then released[1] = redis.call('ZREM', KEYS[2], ARGV[1]) end
    if ARGV[4] == 'waiting' then released[2] = redis.call('ZREM', KEYS[3], ARGV[1]) end
  end
end
if redis.call('ZCARD', KEYS[2]) == 0 and redis.call('ZCARD', KEYS[3]) == 0 then
  redis.call('ZREM', KEYS[4], ARGV[3])
end
return released
