-- Publish/unpublish pairs as nginx-rtmp posts them, each pair on its own stream and client id; every
-- connection waits `pause` ms between requests so the whole run holds a steady rate. With the second
-- argument `health` it sends plain GETs of the URL given to wrk instead (the health endpoint, for comparison).
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  pause = tonumber(args[1]) or 0
  health = args[2] == "health"
  n = 0
end

function delay()
  return pause
end

function request()
  if health then
    return wrk.format("GET")
  end
  n = n + 1
  local pair = math.floor((n + 1) / 2)
  local name = "b" .. tid .. "x" .. pair
  local body
  if n % 2 == 1 then
    body = "call=publish&app=live&name=" .. name .. "&type=live&addr=127.0.0.1&clientid=" .. tid .. "0" .. pair
  else
    body = "call=publish_done&app=live&name=" .. name .. "&clientid=" .. tid .. "0" .. pair
  end
  return wrk.format("POST", "/hooks/nginx-rtmp", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end

function done(summary, latency, requests)
  io.write(string.format("LAT p50=%.3f p99=%.3f max=%.3f rate=%.1f errors=%d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests / (summary.duration / 1e6),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
