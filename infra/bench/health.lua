-- The same service's health endpoint at the same pacing, for comparison.
function init(args)
  pause = tonumber(args[1]) or 0
end

function delay()
  return pause
end

function done(summary, latency, requests)
  io.write(string.format("LAT p50=%.3f p99=%.3f max=%.3f rate=%.1f errors=%d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests / (summary.duration / 1e6),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
