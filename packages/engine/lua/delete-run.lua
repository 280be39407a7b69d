--[[
  Deletes a finished run (retention) with its events, index entries and artifact references.

  KEYS[1]  run hash
  KEYS[2]  the run's artifact metadata hash (artifact id -> JSON with sha256)
  KEYS[3]  artifact reference counts (hash: sha256 -> count)
  KEYS[4]  artifact garbage set (sha256 of files nothing references)
  KEYS[5..] keys referenced by the ops

  ARGV[1]  expected revision (the run must not have changed since it was chosen for deletion)
  ARGV[2]  ops JSON (see apply-ops.include.lua)
  ARGV[3]  the finished run statuses, comma-separated (",succeeded,failed,cancelled,")

  Returns 1 when deleted, 0 when missing, -1 when the revision moved on, -2 when the run is not
  finished (a retry made it active again after retention chose it): never delete a live run.
]]
local rev, doc = unpack(redis.call('HMGET', KEYS[1], 'rev', 'doc'))
if not rev then return 0 end
if rev ~= ARGV[1] then return -1 end
local status = doc and cjson.decode(doc).status
if not status or not string.find(ARGV[3], ',' .. status .. ',', 1, true) then return -2 end
redis.call('DEL', KEYS[1])
for _, json in ipairs(redis.call('HVALS', KEYS[2])) do
  local sha = cjson.decode(json).sha256
  if redis.call('HINCRBY', KEYS[3], sha, -1) <= 0 then
    redis.call('HDEL', KEYS[3], sha)
    redis.call('SADD', KEYS[4], sha)
  end
end
redis.call('DEL', KEYS[2])
applyOps(cjson.decode(ARGV[2]))
return 1
