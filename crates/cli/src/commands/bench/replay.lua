-- wrk script of `linker bench wrk`: replays pre-signed Alipay+ requests, so that the load
-- generator does no RSA work of its own.
--
-- LINKER_WRK_DIR names a folder holding requests-<thread>.bin for every wrk thread: complete
-- HTTP/1.1 requests (headers, signature, body), each ended by a NUL byte, in the order they are
-- to be sent. Each thread sends its own file's requests in turn; past its end it starts again
-- (counted as `wrapped`: a repeated pay is no longer a new payment, the benchmark sizes the files
-- so that this does not happen).
--
-- LINKER_WRK_RATE, when set and positive, paces the load to that many requests a second over all
-- threads (each thread keeps its own schedule; a request late on it goes at once, but never
-- more than 100 ms of catching up). Latency is from the request written to the answer read, so
-- the time a request waits for its turn is not in it.
--
-- Every answer is checked: HTTP 200, a Signature header and "resultStatus":"S" in the body;
-- the others are counted as `failed`. done() prints one line, `LINKER-WRK {json}`.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } linker_timespec;
int clock_gettime(int clock, linker_timespec *now);
]]

local rate = tonumber(os.getenv("LINKER_WRK_RATE") or "0") or 0
local thread_count = tonumber(os.getenv("LINKER_WRK_THREADS") or "1") or 1
local threads = {}
local started = 0

function setup(thread)
  thread:set("id", started)
  started = started + 1
  table.insert(threads, thread)
end

function init(args)
  local dir = os.getenv("LINKER_WRK_DIR")
  local file = assert(io.open(dir .. "/requests-" .. id .. ".bin", "rb"))
  local data = file:read("*a")
  file:close()
  requests = {}
  local from = 1
  while true do
    local stop = data:find("\0", from, true)
    if not stop then break end
    requests[#requests + 1] = data:sub(from, stop - 1)
    from = stop + 1
  end
  next_index = 0
  wrapped = 0
  failed = 0
  if rate > 0 then
    interval = thread_count / rate
    due = nil
  end
end

function request()
  next_index = next_index + 1
  if next_index > #requests then
    next_index = 1
    wrapped = wrapped + 1
  end
  return requests[next_index]
end

function response(status, headers, body)
  if status ~= 200 or headers["signature"] == nil
      or not body:find('"resultStatus":"S"', 1, true) then
    failed = failed + 1
  end
end

if rate > 0 then
  local now_spec = ffi.new("linker_timespec")
  local function now()
    ffi.C.clock_gettime(1, now_spec)
    return tonumber(now_spec.tv_sec) + tonumber(now_spec.tv_nsec) * 1e-9
  end

  function delay()
    local now_s = now()
    if due == nil or due < now_s - 0.1 then
      due = now_s
    end
    due = due + interval
    local wait = due - now_s
    if wait <= 0 then
      return 0
    end
    return math.floor(wait * 1000 + 0.5)
  end
end

function done(summary, latency, requests)
  local failed_all, wrapped_all = 0, 0
  for _, thread in ipairs(threads) do
    failed_all = failed_all + (thread:get("failed") or 0)
    wrapped_all = wrapped_all + (thread:get("wrapped") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    'LINKER-WRK {"requests":%d,"durationUs":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,' ..
    '"maxUs":%d,"meanUs":%.1f,"failed":%d,"wrapped":%d,"socketErrors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, failed_all, wrapped_all,
    errors.connect + errors.read + errors.write + errors.timeout))
end
