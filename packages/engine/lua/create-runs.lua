--[[
  Creates a group of runs (group commit of submissions, engine/src/submit-group.ts) in one script
  call: each run exactly as create-run.lua would create it alone, one after the other, in order.
  A later run of the group sees what an earlier one wrote (the same Idempotency-Key twice in one
  group: the second finds the first's run, "existing"). Every key of the group shares one hash
  slot (the group is one partition).

  KEYS     every key the group touches, each once
  ARGV[1]  the number of runs, n
  then, per run i (base = 1 + (i - 1) * 16):
    ARGV[base + 1 .. base + 4]   indexes into KEYS of the run's idempotency key, run hash,
                                 pipelines hash and pipeline versions hash (create-run.lua's KEYS[1..4])
    ARGV[base + 5 .. base + 16]  create-run.lua's ARGV[1..12] for the run (its ops index KEYS)

  Returns one reply per run, in order: create-run.lua's reply, or {"error", message} when creating
  that run raised an error (the others are unaffected).
]]
local n = tonumber(ARGV[1])
local replies = {}
for i = 1, n do
  local base = 1 + (i - 1) * 16
  local a = {}
  for j = 1, 12 do a[j] = ARGV[base + 4 + j] end
  local ok, r = pcall(createOne, KEYS[tonumber(ARGV[base + 1])], KEYS[tonumber(ARGV[base + 2])], KEYS[tonumber(ARGV[base + 3])], KEYS[tonumber(ARGV[base + 4])], a)
  if ok then
    replies[i] = r
  else
    replies[i] = {'error', type(r) == 'table' and tostring(r.err) or tostring(r)}
  end
end
return replies
