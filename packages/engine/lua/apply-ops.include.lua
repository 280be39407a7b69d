--[[
  Shared by the run scripts: applies a JSON list of write operations. Each operation names its key
  by index into KEYS, so every key a script touches is declared (all share the deployment's hash tag).

    ["zadd", k, score, member]       ["zrem", k, member]
    ["xadd", k, maxlen, json]        ["hincrby", k, field, n]
    ["hincrbyfloat", k, field, x]    ["del", k]
]]
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
    else
      error('unknown op ' .. tostring(name))
    end
  end
end
