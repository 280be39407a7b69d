--[[
  Shared by create-run.lua (one run) and create-runs.lua (a group of runs): creates one run,
  honouring its Idempotency-Key and checking the pipeline version it was built from, atomically
  (see create-run.lua for the keys and arguments; `a` holds that script's ARGV[1..12]).
  Returns {"created", runId}, {"existing", runId, fingerprint}, {"deleted", runId, fingerprint}
  or {"stale"}, exactly as create-run.lua documents.
]]
local function createOne(kIdem, kRun, kPipelines, kVersions, a)
  if a[9] ~= '' then
    if a[11] == '1' and redis.call('HGET', kPipelines, a[9]) ~= a[10] then
      return {'stale'}
    end
    if (redis.call('HGET', kVersions, a[10] .. ':at') or '') ~= a[12] then
      return {'stale'}
    end
  end

  if a[1] ~= '0' then
    local remembered = redis.call('GET', kIdem)
    if remembered then
      local sep = string.find(remembered, '|', 1, true)
      local runId = string.sub(remembered, 1, sep - 1)
      if redis.call('EXISTS', a[6] .. runId) == 1 then
        return {'existing', runId, string.sub(remembered, sep + 1)}
      end
      -- The run was deleted (retention) while the key is still remembered: never a second run for it.
      return {'deleted', runId, string.sub(remembered, sep + 1)}
    end
    redis.call('SET', kIdem, a[3] .. '|' .. a[2], 'PX', a[1])
  end

  redis.call('HSET', kRun, 'rev', 1, 'doc', a[4])
  applyOps(cjson.decode(a[5]))
  redis.call('PUBLISH', a[7], a[8])
  return {'created', a[3]}
end
