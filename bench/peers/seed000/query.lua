-- wrk script for bench/compare-seed000.sh: every request POSTs a Qdrant-shaped query to
-- /collections/$WRK_COLLECTION/points/query, cycling through the bodies in $WRK_BODIES (a Lua
-- chunk returning a list of JSON bodies; wrk_bodies.py writes it). done() prints one JSON line
-- in the shape of `needle bench http --json` (ok_rps, success_rate, latency_ms, errors).
local bodies = dofile(os.getenv("WRK_BODIES"))
wrk.method = "POST"
wrk.path = "/collections/" .. (os.getenv("WRK_COLLECTION") or "fm") .. "/points/query"
wrk.headers["Content-Type"] = "application/json"

local reqs, next = {}, 0

function init(args)
	for i, b in ipairs(bodies) do
		reqs[i] = wrk.format(nil, nil, nil, b)
	end
end

function request()
	next = next % #reqs + 1
	return reqs[next]
end

function done(summary, latency, requests)
	local e = summary.errors
	-- requests counts answered requests (non-2xx/3xx among them: status); the socket errors
	-- and timeouts are requests without an answer.
	local failed = e.connect + e.read + e.write + e.status + e.timeout
	local secs = summary.duration / 1e6
	local ok = summary.requests - e.status
	io.write(string.format('{"requests": %d, "elapsed_s": %.3f, "ok_rps": %.1f, "throughput_rps": %.1f, '
		.. '"success_rate": %.5f, "latency_ms": {"p50": %.3f, "p90": %.3f, "p99": %.3f, "max": %.3f}, '
		.. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
		summary.requests, secs, ok / secs, summary.requests / secs,
		summary.requests + failed - e.status > 0 and ok / (summary.requests + failed - e.status) or 0,
		latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
		latency.max / 1e3, e.connect, e.read, e.write, e.status, e.timeout))
end
