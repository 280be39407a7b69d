--[[
  Registers a pipeline definition as a new version, unless it equals the latest one.

  KEYS[1]  the pipeline's versions hash (field "<n>" = canonical definition JSON, "<n>:at" = ISO time)
  KEYS[2]  pipelines hash (field = name, value = latest version number)

  ARGV[1]  pipeline name
  ARGV[2]  canonical definition JSON
  ARGV[3]  creation time (ISO 8601)

  Returns {version, 1} when a version was created, {version, 0} when the latest already matched.
]]
local latest = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if latest > 0 and redis.call('HGET', KEYS[1], tostring(latest)) == ARGV[2] then
  return {latest, 0}
end
local version = latest + 1
redis.call('HSET', KEYS[1], tostring(version), ARGV[2], tostring(version) .. ':at', ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], version)
return {version, 1}
