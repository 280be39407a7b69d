--[[
  Creates a run, honouring an Idempotency-Key, in one atomic step.

  KEYS[1]  idempotency key (ignored when ARGV[1] is "0")
  KEYS[2]  run hash (fields: rev, doc)
  KEYS[3]  pipelines hash (field = name, value = latest version)
  KEYS[4]  the run's pipeline versions hash (field "<n>:at" = registration time)
  KEYS[5..] keys referenced by the ops (indexes, events stream, metrics)

  ARGV[1]  idempotency TTL in ms, "0" when the request had no key
  ARGV[2]  request fingerprint (hash of the normalised request)
  ARGV[3]  run id
  ARGV[4]  run document JSON
  ARGV[5]  ops JSON (see apply-ops.include.lua)
  ARGV[6]  run-hash key prefix, to check that a remembered run still exists (same hash tag)
  ARGV[7]  notification channel
  ARGV[8]  notification message
  ARGV[9]  pipeline name the run was built from, "" for none (inline definition)
  ARGV[10] that pipeline's version
  ARGV[11] "1" when that version must still be the latest one
  ARGV[12] that version's registration time

  Returns {"created", runId} or {"existing", runId, fingerprint}, {"deleted", runId, fingerprint}
  when the key's run was deleted by retention within the key's TTL (nothing written), or {"stale"} (nothing written)
  when the pipeline version the caller built the run from is no longer current: the caller built
  it from a copy it remembered, and reads the pipeline again.
]]
if ARGV[9] ~= '' then
  if ARGV[11] == '1' and redis.call('HGET', KEYS[3], ARGV[9]) ~= ARGV[10] then
    return {'stale'}
  end
  if (redis.call('HGET', KEYS[4], ARGV[10] .. ':at') or '') ~= ARGV[12] then
    return {'stale'}
  end
end

if ARGV[1] ~= '0' then
  local remembered = redis.call('GET', KEYS[1])
  if remembered then
    local sep = string.find(remembered, '|', 1, true)
    local runId = string.sub(remembered, 1, sep - 1)
    if redis.call('EXISTS', ARGV[6] .. runId) == 1 then
      return {'existing', runId, string.sub(remembered, sep + 1)}
    end
    -- The run was deleted (retention) while the key is still remembered: never a second run for it.
    return {'deleted', runId, string.sub(remembered, sep + 1)}
  end
  redis.call('SET', KEYS[1], ARGV[3] .. '|' .. ARGV[2], 'PX', ARGV[1])
end

redis.call('HSET', KEYS[2], 'rev', 1, 'doc', ARGV[4])
applyOps(cjson.decode(ARGV[5]))
redis.call('PUBLISH', ARGV[7], ARGV[8])
return {'created', ARGV[3]}
