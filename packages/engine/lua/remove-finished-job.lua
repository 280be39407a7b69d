--[[
  Removes a finished job (in the completed or failed set) and its keys, in one step. The orchestrator
  calls it once the job's result is committed to its run (the usual case, a job dropped by the commit
  that applies its result, is done by commit-run-transition.lua itself); BullMQ's own removeJob walks parents,
  children, locks and dedup ids (about 14 commands) that Baton's stage jobs never have. A job in
  neither set (waiting, delayed, active) is left alone (returns 0): the caller then uses BullMQ's
  removeJob, which honours a worker's lock. No 'removed' event is written (nothing reads it).

  KEYS[1]  the job hash
  KEYS[2]  completed zset
  KEYS[3]  failed zset

  ARGV[1]  job id

  Returns 1 when the job was removed, 0 when it is not finished (nothing written).
]]
local jobKey = KEYS[1]
local jobId = ARGV[1]
if redis.call('ZREM', KEYS[2], jobId) == 0 and redis.call('ZREM', KEYS[3], jobId) == 0 then return 0 end
redis.call('DEL', jobKey, jobKey .. ':logs', jobKey .. ':dependencies', jobKey .. ':processed', jobKey .. ':failed', jobKey .. ':unsuccessful')
return 1
