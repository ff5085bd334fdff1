-- wrk script: POST /v1/tokens for one seeded integration, as a backend service would.
-- OAM_BENCH_TOKEN is the service JWT, OAM_BENCH_BODY the JSON body (scripts/bench-http sets both).
wrk.method = "POST"
wrk.body = os.getenv("OAM_BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("OAM_BENCH_TOKEN")
