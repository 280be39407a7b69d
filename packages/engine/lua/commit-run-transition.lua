--[[
  Commits one run transition iff the run is still at the revision it was computed from
  (optimistic concurrency: two orchestrators can't both apply the same fact).

  KEYS[1]  run hash (fields: rev, doc)
  KEYS[2..] keys referenced by the ops

  ARGV[1]  expected revision
  ARGV[2]  new run document JSON
  ARGV[3]  ops JSON (see apply-ops.include.lua)
  ARGV[4]  notification channel
  ARGV[5]  notification message template; "{rev}" is replaced by the new revision

  Returns the new revision, 0 when the run does not exist, -1 when the revision moved on, -2 when
  the transition takes a concurrency slot whose key is full (nothing is written).
]]
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then return 0 end
if rev ~= ARGV[1] then return -1 end
local ops = cjson.decode(ARGV[3])
if not slotsFree(ops) then return -2 end
local newRev = tonumber(rev) + 1
redis.call('HSET', KEYS[1], 'rev', newRev, 'doc', ARGV[2])
applyOps(ops)
local message = string.gsub(ARGV[5], '{rev}', tostring(newRev))
redis.call('PUBLISH', ARGV[4], message)
return newRev
