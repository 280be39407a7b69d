--[[
  Shared by the run scripts: applies a JSON list of write operations. Each operation names its key
  by index into KEYS, so every key a script touches is declared (all share the deployment's hash tag).

    ["zadd", k, score, member]       ["zrem", k, member]
    ["xadd", k, maxlen, json]        ["hincrby", k, field, n]
    ["hincrbyfloat", k, field, x]    ["del", k]
    ["pexpireat", k, ms]             ["hset", k, field, value]
    ["take", holders, waiters, limit, member, score]   takes a concurrency slot (checked first, see slotsFree)
    ["release", holders, waiters, member]              gives a slot (or a place in line) back
]]

-- True when every "take" in ops can be honoured: the member holds the key already, or the key has
-- fewer than `limit` holders. Called before anything is written, so a refused take writes nothing.
local function slotsFree(ops)
  for _, op in ipairs(ops) do
    if op[1] == 'take' then
      local holders = KEYS[op[2]]
      if not redis.call('ZSCORE', holders, op[5]) and redis.call('ZCARD', holders) >= tonumber(op[4]) then
        return false
      end
    end
  end
  return true
end

local function applyOps(ops)
  for _, op in ipairs(ops) do
    local name, key = op[1], KEYS[op[2]]
    if name == 'zadd' then
      redis.call('ZADD', key, op[3], op[4])
    elseif name == 'zrem' then
      redis.call('ZREM', key, op[3])
    elseif name == 'xadd' then
      redis.call('XADD', key, 'MAXLEN', '~', op[3], '*', 'event', op[4])
    elseif name == 'hincrby' then
      redis.call('HINCRBY', key, op[3], op[4])
    elseif name == 'hincrbyfloat' then
      redis.call('HINCRBYFLOAT', key, op[3], op[4])
    elseif name == 'del' then
      redis.call('DEL', key)
    elseif name == 'pexpireat' then
      redis.call('PEXPIREAT', key, op[3])
    elseif name == 'hset' then
      redis.call('HSET', key, op[3], op[4])
    elseif name == 'take' then
      redis.call('ZADD', key, op[6], op[5])
      redis.call('ZREM', KEYS[op[3]], op[5])
    elseif name == 'release' then
      redis.call('ZREM', key, op[4])
      redis.call('ZREM', KEYS[op[3]], op[4])
    else
      error('unknown op ' .. tostring(name))
    end
  end
end
