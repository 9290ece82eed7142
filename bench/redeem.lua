-- wrk request generator for bench/redeem.py: the same script loads ours and the floor.
--
--   wrk -t C -c C ... -s bench/redeem.lua URL -- MODE CODES_FILE THREADS RUN_ID OUT_FILE [KEYS_FILE SCHEME]
--
-- One connection per wrk thread (-t C -c C), so every thread's Lua state sees its own
-- connection's requests and responses strictly in turn: that is what lets "ours" send the scan,
-- read the scan_reference from its answer and send the redemption with it.
--
-- MODE "ours":  POST /api/v1/partner/scans {"code": <next fresh code>} with a device key, then
--               POST /api/v1/partner/redemptions {"scan_reference", "scheme", "amount": 1} with a
--               unique Idempotency-Key. Thread t takes lines t, t+THREADS, ... of CODES_FILE (one
--               signed phone code of a fresh pass per line) and device key t of KEYS_FILE.
-- MODE "scans": only POST /api/v1/partner/scans, each with the next fresh code: what one scan costs
--               (a cashier checking a pass without redeeming; a bus validator online).
-- MODE "floor": POST /v1/redeem {"qr": <random token of CODES_FILE>, "amount"} with a unique
--               Idempotency-Key: the perf-probe endpoint (../shared/research/perf-probe/app.py).
--
-- Each thread records its latencies (µs, CLOCK_MONOTONIC through LuaJIT's ffi) by kind: scan,
-- redeem and pair (scan sent to redemption answered); done() writes them to OUT_FILE as
-- "kind value" lines, and "status kind:code count" lines.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}
local counter = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

-- per thread (globals, so done() can read them with thread:get)
lat_scan, lat_redeem, lat_pair, statuses = {}, {}, {}, {}
exhausted = 0

local mode, codes, ncodes, run = "ours", {}, 0, "r"
out_file = nil -- a global: done() runs in the main state, which init() never saw
local device_key, scheme = nil, "stadsfonds"
local phase, next_code, reference = "scan", 0, nil
local sent_at, pair_started = 0, 0

function init(args)
  mode = args[1]
  local nthreads = tonumber(args[3])
  run = args[4]
  out_file = args[5]
  local i = 0
  for line in io.lines(args[2]) do
    i = i + 1
    if mode == "floor" or (i - 1) % nthreads == tid - 1 then
      ncodes = ncodes + 1
      codes[ncodes] = line
    end
  end
  if mode ~= "floor" then
    local keys = {}
    for line in io.lines(args[6]) do keys[#keys + 1] = line end
    device_key = keys[(tid - 1) % #keys + 1]
    scheme = args[7] or scheme
  end
  math.randomseed(os.time() + tid)
end

local function idempotency_key()
  counter = counter + 1
  return run .. "-" .. tid .. "-" .. counter
end

function request()
  sent_at = now_us()
  if mode == "floor" then
    return wrk.format("POST", "/v1/redeem",
      { ["Content-Type"] = "application/json", ["Idempotency-Key"] = idempotency_key() },
      '{"qr":"' .. codes[math.random(ncodes)] .. '","amount":' .. math.random(1, 500) .. '}')
  end
  local auth = "Bearer " .. device_key
  if phase == "redeem" then
    return wrk.format("POST", "/api/v1/partner/redemptions",
      { ["Content-Type"] = "application/json", ["Authorization"] = auth,
        ["Idempotency-Key"] = idempotency_key() },
      '{"scan_reference":"' .. reference .. '","scheme":"' .. scheme .. '","amount":1}')
  end
  next_code = next_code + 1
  if next_code > ncodes then -- out of fresh codes: replays follow, counted as refusals
    exhausted = exhausted + 1
    next_code = 1
  end
  pair_started = sent_at
  return wrk.format("POST", "/api/v1/partner/scans",
    { ["Content-Type"] = "application/json", ["Authorization"] = auth },
    '{"code":"' .. codes[next_code] .. '"}')
end

local function count(key)
  statuses[key] = (statuses[key] or 0) + 1
end

function response(status, headers, body)
  local took = now_us() - sent_at
  if mode == "floor" then
    lat_redeem[#lat_redeem + 1] = took
    lat_pair[#lat_pair + 1] = took
    count("redeem:" .. status)
    return
  end
  if mode == "scans" then -- the unit of work is one scan: recorded as the "pair" too
    lat_scan[#lat_scan + 1] = took
    count("scan:" .. status)
    if status == 201 then lat_pair[#lat_pair + 1] = took end
    return
  end
  if phase == "scan" then
    lat_scan[#lat_scan + 1] = took
    count("scan:" .. status)
    reference = status == 201 and body:match('"scan_reference"%s*:%s*"([^"]+)"') or nil
    if reference then phase = "redeem" end
  else
    lat_redeem[#lat_redeem + 1] = took
    count("redeem:" .. status)
    if status == 201 then lat_pair[#lat_pair + 1] = now_us() - pair_started end
    phase = "scan"
  end
end

function done(summary, latency, requests)
  local f = assert(io.open(threads[1]:get("out_file"), "w"))
  f:write(string.format("summary duration_us %d\nsummary requests %d\n", summary.duration,
    summary.requests))
  for name, n in pairs(summary.errors) do f:write(string.format("error %s %d\n", name, n)) end
  for _, t in ipairs(threads) do
    for _, kind in ipairs({ "scan", "redeem", "pair" }) do
      for _, v in ipairs(t:get("lat_" .. kind)) do f:write(kind, " ", string.format("%.0f", v), "\n") end
    end
    for key, n in pairs(t:get("statuses")) do f:write("status ", key, " ", n, "\n") end
    f:write("exhausted ", t:get("exhausted"), "\n")
  end
  f:close()
end
