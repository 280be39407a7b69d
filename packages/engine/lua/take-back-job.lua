--[[
  Takes a stage's job back off its queue (a pause), atomically with the job's state: the job is
  removed only while it still waits for an agent (wait, paused, delayed for a retry's backoff, or
  prioritized). A job an agent holds, or one that finished in between, is left alone, so its
  result is never thrown away (the caller applies it). The check-then-remove of two round trips
  it replaces could delete a job that completed between them (issue 13, defect 4).

  KEYS[1]  the job hash
  KEYS[2]  wait list
  KEYS[3]  paused list
  KEYS[4]  delayed zset
  KEYS[5]  prioritized zset
  KEYS[6]  completed zset
  KEYS[7]  failed zset
  KEYS[8]  events stream
  KEYS[9]  queue meta hash

  ARGV[1]  job id

  Returns { outcome, attemptsMade }: outcome is 'removed', 'missing', 'completed', 'failed' or
  'active' (held by an agent, or anything else not waiting); attemptsMade is BullMQ's count of the
  job's finished attempts (0 when missing), read in the same step.
]]
local jobKey = KEYS[1]
local jobId = ARGV[1]
if redis.call('EXISTS', jobKey) == 0 then return { 'missing', 0 } end
local attemptsMade = tonumber(redis.call('HGET', jobKey, 'atm') or '0') or 0

local waiting = false
if redis.call('LREM', KEYS[2], 0, jobId) > 0 then waiting = true end
if redis.call('LREM', KEYS[3], 0, jobId) > 0 then waiting = true end
if redis.call('ZREM', KEYS[4], jobId) > 0 then waiting = true end
if redis.call('ZREM', KEYS[5], jobId) > 0 then waiting = true end

if not waiting then
  if redis.call('ZSCORE', KEYS[6], jobId) then return { 'completed', attemptsMade } end
  if redis.call('ZSCORE', KEYS[7], jobId) then return { 'failed', attemptsMade } end
  return { 'active', attemptsMade }
end

redis.call('DEL', jobKey, jobKey .. ':logs', jobKey .. ':dependencies', jobKey .. ':processed', jobKey .. ':failed', jobKey .. ':unsuccessful')
local maxEvents = redis.call('HGET', KEYS[9], 'opts.maxLenEvents') or 10000
redis.call('XADD', KEYS[8], 'MAXLEN', '~', maxEvents, '*', 'event', 'removed', 'jobId', jobId, 'prev', 'waiting')
return { 'removed', attemptsMade }
