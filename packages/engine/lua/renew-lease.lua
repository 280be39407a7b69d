--[[
  Takes or renews a lease in one step. The read-then-extend of two commands it replaces could extend
  a lease another instance had just taken after ours expired, and both would then act.

  KEYS[1]  the lease key
  ARGV[1]  this holder's token
  ARGV[2]  time to live, ms

  Returns 1 when this holder has the lease for ARGV[2] ms from now, 0 when another holds it.
]]
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
