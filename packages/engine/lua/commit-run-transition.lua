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
  ARGV[6]  (optional) JSON list of jobs the transition no longer wants, [job hash, completed zset,
           failed zset] as indexes into KEYS and the job id: each one found finished (its result is
           in, and committed or moot with this very transition) is removed with its keys, as
           remove-finished-job.lua does; any other is left to the caller (BullMQ's removeJob, which
           honours a worker's lock)

  Returns the new revision, 0 when the run does not exist, -1 when the revision moved on, -2 when
  the transition takes a concurrency slot whose key is full (nothing is written). With ARGV[6], a
  committed transition returns {new revision, flags}: flags has one character per listed job, "1"
  removed, "0" not finished.
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
if not ARGV[6] or ARGV[6] == '' then return newRev end
local flags = {}
for i, j in ipairs(cjson.decode(ARGV[6])) do
  local jobKey, jobId = KEYS[j[1]], j[4]
  if redis.call('ZREM', KEYS[j[2]], jobId) == 1 or redis.call('ZREM', KEYS[j[3]], jobId) == 1 then
    redis.call('DEL', jobKey, jobKey .. ':logs', jobKey .. ':dependencies', jobKey .. ':processed', jobKey .. ':failed', jobKey .. ':unsuccessful')
    flags[i] = '1'
  else
    flags[i] = '0'
  end
end
return {newRev, table.concat(flags)}
