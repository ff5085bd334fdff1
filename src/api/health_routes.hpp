#pragma once

#include "core/blocking_pool.hpp"
#include "http/router.hpp"
#include "store/store.hpp"

namespace oauth_manager::api {

// GET /healthz: the process is up. GET /readyz: the database answers (503 otherwise), so a load
// balancer only sends traffic to replicas that can serve it.
void add_health_routes(http::Router& router, store::Store& store, core::BlockingPool& blocking);

}  // namespace oauth_manager::api
