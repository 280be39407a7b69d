--[[
  Creates a run, honouring an Idempotency-Key, in one atomic step.

  KEYS[1]  idempotency key (ignored when ARGV[1] is "0")
  KEYS[2]  run hash (fields: rev, doc)
  KEYS[3..] keys referenced by the ops (indexes, events stream, metrics)

  ARGV[1]  idempotency TTL in ms, "0" when the request had no key
  ARGV[2]  request fingerprint (hash of the normalised request)
  ARGV[3]  run id
  ARGV[4]  run document JSON
  ARGV[5]  ops JSON (see apply-ops.include.lua)
  ARGV[6]  run-hash key prefix, to check that a remembered run still exists (same hash tag)
  ARGV[7]  notification channel
  ARGV[8]  notification message

  Returns {"created", runId} or {"existing", runId, fingerprint}.
]]
if ARGV[1] ~= '0' then
  local remembered = redis.call('GET', KEYS[1])
  if remembered then
    local sep = string.find(remembered, '|', 1, true)
    local runId = string.sub(remembered, 1, sep - 1)
    if redis.call('EXISTS', ARGV[6] .. runId) == 1 then
      return {'existing', runId, string.sub(remembered, sep + 1)}
    end
  end
  redis.call('SET', KEYS[1], ARGV[3] .. '|' .. ARGV[2], 'PX', ARGV[1])
end

redis.call('HSET', KEYS[2], 'rev', 1, 'doc', ARGV[4])
applyOps(cjson.decode(ARGV[5]))
redis.call('PUBLISH', ARGV[7], ARGV[8])
return {'created', ARGV[3]}
