-- wrk script: POST /v1/tokens for a random one of the first OAM_BENCH_IDS seeded integrations
-- (bench-0000000 ...), as a backend serving many users would. OAM_BENCH_TOKEN is the service JWT.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("OAM_BENCH_TOKEN")
local ids = tonumber(os.getenv("OAM_BENCH_IDS"))

request = function()
  local body = string.format('{"integration_id":"bench-%07d"}', math.random(0, ids - 1))
  return wrk.format(nil, nil, nil, body)
end
