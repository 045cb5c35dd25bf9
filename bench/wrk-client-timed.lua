-- Client-timed latency for wrk 4.x (bench/tail-runtime.ts). Run with one connection per
-- thread (-tN -cN): request() and response() then alternate in each thread's Lua state, so the
-- time between them (CLOCK_MONOTONIC) is that request's latency, with none of the phantom
-- samples wrk's own coordinated-omission correction adds to its percentiles. Each thread appends
-- its latencies (µs, one a line) to $OWN_DIR/t<n> every 100 answers (the last < 100 are dropped).
-- PACE_MS > 0: each connection waits that long after an answer (wrk's delay()).
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } timespec; int clock_gettime(int, timespec *); ]]
local ts = ffi.new("timespec")
local function now() ffi.C.clock_gettime(1, ts); return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3 end

local counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end

local t0, buf, path = 0, {}, nil
request = function() t0 = now(); return wrk.format() end
response = function()
  buf[#buf + 1] = string.format("%.0f", now() - t0)
  if #buf >= 100 then
    path = path or (os.getenv("OWN_DIR") .. "/t" .. tid)
    local f = io.open(path, "a") f:write(table.concat(buf, "\n"), "\n") f:close()
    buf = {}
  end
end

local pace = tonumber(os.getenv("PACE_MS") or "0")
if pace > 0 then delay = function() return pace end end

done = function(summary, latency)
  local out = {}
  for _, p in ipairs({50, 90, 99, 99.9}) do out[#out + 1] = string.format("p%s=%.2f", p, latency:percentile(p) / 1000) end
  io.write(string.format("WRK (wrk's corrected): n=%d mean=%.2f %s max=%.1f ms\n", summary.requests, latency.mean / 1000, table.concat(out, " "), latency.max / 1000))
end
