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
return createOne(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV)
