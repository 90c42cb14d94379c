-- wrk script: create + reveal pairs. Each thread shares a secret, then reveals the key it
-- got back on its next request, so half of the requests are creates and half reveals.
-- Usage: wrk -t2 -c64 -d20s --latency -s pairs.lua http://127.0.0.1:PORT
local queue, head, tail = {}, 1, 0
creates, reveals, failures = 0, 0, 0 -- globals, so done() can read them per thread
local form = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function request()
  if head <= tail then
    local key = queue[head]
    queue[head] = nil
    head = head + 1
    return wrk.format("POST", "/api/v1/secret/" .. key, form, "")
  end
  return wrk.format("POST", "/api/v1/share", form, "secret=bench%20value&ttl=3600")
end

function response(status, headers, body)
  if status == 200 and body:find('"metadata_key"', 1, true) then
    local key = body:match('"secret_key":"([0-9a-z]+)"')
    tail = tail + 1
    queue[tail] = key
    creates = creates + 1
  elseif status == 200 and body:find('"value":"bench value"', 1, true) then
    reveals = reveals + 1
  else
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local c, r, f = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("creates")
    r = r + t:get("reveals")
    f = f + t:get("failures")
  end
  local secs = summary.duration / 1e6
  io.write(string.format("creates %d, reveals %d, failures %d\n", c, r, f))
  io.write(string.format("pairs/s %.0f, requests/s %.0f, p50 %.2f ms, p99 %.2f ms\n",
    r / secs, summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
