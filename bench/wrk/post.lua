-- wrk script of `npm run bench` (bench/load.ts starts wrk with it). Sends one POST again
-- and again, checks every response the way bench/fixtures.ts's bodyMatches does, and
-- writes one JSON result for load.ts to read. Everything it needs comes from the
-- environment, so the TypeScript side stays the single source of the body and its checks:
--   BENCH_WRK_BODY_FILE     request body
--   BENCH_WRK_RESULT_FILE   where done() writes the result
--   BENCH_WRK_PREFIX        a good body starts with this
--   BENCH_WRK_SUFFIX        ... ends with this (optional)
--   BENCH_WRK_INCLUDES      ... and contains each of these (optional, separated by \31)

local MAX_SAMPLES = 5
local SAMPLE_BYTES = 300

local function env(name, optional)
  local v = os.getenv(name)
  if (v == nil or v == "") and not optional then error(name .. " is not set") end
  return v or ""
end

local f = assert(io.open(env("BENCH_WRK_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"

local prefix = env("BENCH_WRK_PREFIX")
local suffix = env("BENCH_WRK_SUFFIX", true)
local includes = {}
for needle in string.gmatch(env("BENCH_WRK_INCLUDES", true), "[^\31]+") do
  includes[#includes + 1] = needle
end

local function body_ok(body)
  if body:sub(1, #prefix) ~= prefix then return false end
  if #suffix > 0 and body:sub(-#suffix) ~= suffix then return false end
  for _, needle in ipairs(includes) do
    if not body:find(needle, 1, true) then return false end
  end
  return true
end

-- Each wrk thread runs its own Lua state: response() counts into that state's globals,
-- and done(), in the main state, collects them through the thread handles kept by setup().
non2xx = 0
bad_bodies = 0
statuses = {}
samples = {}

local function sample(what)
  if #samples < MAX_SAMPLES then samples[#samples + 1] = what end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    sample("HTTP " .. status .. ": " .. body:sub(1, SAMPLE_BYTES))
  elseif not body_ok(body) then
    bad_bodies = bad_bodies + 1
    sample("HTTP " .. status .. " with an unexpected body: " .. body:sub(1, SAMPLE_BYTES))
  end
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

local function json_string(s)
  -- \u escapes are valid JSON for quotes, backslashes and control bytes alike.
  local escaped = s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end)
  return '"' .. escaped .. '"'
end

-- wrk's own CPU (all threads, which have finished by now), so the load generator is billed
-- from the same /proc figures as the processes it measures; the process is gone once it exits.
local function own_cpu_ticks()
  local stat = assert(io.open("/proc/self/stat", "r"))
  local line = stat:read("*l")
  stat:close()
  -- The command name may hold spaces and ')': the fields start after the last ')'.
  local fields = {}
  for field in line:match("^.*%) (.*)$"):gmatch("%S+") do fields[#fields + 1] = field end
  -- fields[1] is the state (field 3 of stat), so utime (14) and stime (15) are 12 and 13.
  return tonumber(fields[12]), tonumber(fields[13])
end

function done(summary, latency, requests)
  local total_non2xx, total_bad, by_status, all_samples = 0, 0, {}, {}
  for _, t in ipairs(threads) do
    total_non2xx = total_non2xx + t:get("non2xx")
    total_bad = total_bad + t:get("bad_bodies")
    for status, n in pairs(t:get("statuses")) do by_status[status] = (by_status[status] or 0) + n end
    for _, s in ipairs(t:get("samples")) do
      if #all_samples < MAX_SAMPLES then all_samples[#all_samples + 1] = s end
    end
  end
  local status_parts = {}
  for status, n in pairs(by_status) do status_parts[#status_parts + 1] = string.format('"%d":%d', status, n) end
  local sample_parts = {}
  for i, s in ipairs(all_samples) do sample_parts[i] = json_string(s) end
  local utime, stime = own_cpu_ticks()
  local e = summary.errors
  local out = assert(io.open(env("BENCH_WRK_RESULT_FILE"), "w"))
  out:write(string.format(
    '{"requests":%d,"durationUs":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},' ..
      '"non2xx":%d,"badBodies":%d,"statusCodes":{%s},"samples":[%s],"cpuTicks":{"user":%d,"system":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    total_non2xx, total_bad, table.concat(status_parts, ","), table.concat(sample_parts, ","), utime, stime))
  out:close()
end
