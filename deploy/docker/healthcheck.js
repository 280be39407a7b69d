// Docker HEALTHCHECK: GET BATON_HEALTH_URL (agents: their metrics port's /health) or the API's /health.
const url = process.env.BATON_HEALTH_URL || `http://127.0.0.1:${process.env.BATON_PORT || 3000}/health`;
fetch(url, { signal: AbortSignal.timeout(2500) })
  .then((res) => process.exit(res.ok ? 0 : 1))
  .catch(() => process.exit(1));
