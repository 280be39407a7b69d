--[[
  Marks an agent's heartbeat record with a drain or restart command, so the agent's next beat (a
  SET ... GET, which returns the record it replaces) hands it over. An idle agent keeps no control
  stream reader open (it saves a connection), so this is how a command reaches it, within one beat;
  an agent running tasks also reads the control stream, and gets the message at once.
  Atomic with the beat: either the beat replaced the record first (the mark goes on the new record,
  the next beat returns it) or the mark came first (this beat returns it).

  KEYS[1]  the agent's heartbeat record
  ARGV[1]  the command, JSON: {"kind":"drain"|"restart","id":"<control stream message id>"}

  Returns 1 when the record was marked, 0 when the agent has no record (gone).
]]
local rec = redis.call('GET', KEYS[1])
if not rec or string.sub(rec, 1, 1) ~= '{' then return 0 end
redis.call('SET', KEYS[1], '{"control":' .. ARGV[1] .. ',' .. string.sub(rec, 2), 'KEEPTTL')
return 1
