#include "api/record_routes.hpp"

#include "api/request_parsing.hpp"
#include "api/views.hpp"

namespace oauth_manager::api {
namespace {

using core::Permission;
using Reply = boost::asio::awaitable<core::Result<http::Response>>;

// The optional ?user_id= of a per-user listing (the only parameter such a listing takes); the
// audit event records whose records were asked for.
core::Result<std::optional<std::string>> user_id_param(Call& call) {
  auto params = parse_query(call.request.query, {"user_id"});
  if (!params) return params.error();
  auto user_id = optional_param(*params, "user_id");
  call.audit.user_id = user_id.value_or(call.caller.subject);
  return user_id;
}

Reply list_integrations(manager::RecordQueries& records, Call& call) {
  const auto user_id = user_id_param(call);
  if (!user_id) co_return user_id.error();
  auto views = co_await records.integrations(call.caller, *user_id);
  if (!views) co_return views.error();
  auto items = nlohmann::json::array();
  for (const auto& view : *views) items.push_back(integration_json(view));
  call.audit.details = nlohmann::json{{"count", items.size()}}.dump();
  co_return json_answer(200, {{"integrations", items}});
}

Reply get_integration(manager::RecordQueries& records, Call& call) {
  if (auto params = parse_query(call.request.query, {}); !params) co_return params.error();
  const auto& id = call.request.path_params.at("id");
  call.audit.integration_id = id;
  auto view = co_await records.integration(call.caller, id);
  if (!view) co_return view.error();
  call.audit.user_id = view->integration.user_id;
  co_return json_answer(200, integration_json(*view));
}

Reply list_consents(manager::RecordQueries& records, Call& call) {
  const auto user_id = user_id_param(call);
  if (!user_id) co_return user_id.error();
  auto consents = co_await records.consents(call.caller, *user_id);
  if (!consents) co_return consents.error();
  auto items = nlohmann::json::array();
  for (const auto& consent : *consents) items.push_back(consent_json(consent));
  co_return json_answer(200, {{"consents", items}});
}

core::Result<store::AuditQuery> audit_query(const QueryParams& params) {
  store::AuditQuery query;
  query.user_id = optional_param(params, "user_id");
  query.integration_id = optional_param(params, "integration_id");
  query.event = optional_param(params, "event");
  auto since = time_param(params, "since");
  if (!since) return since.error();
  query.since = *since;
  auto until = time_param(params, "until");
  if (!until) return until.error();
  query.until = *until;
  auto limit = integer_param(params, "limit", 100, 1, 1000);
  if (!limit) return limit.error();
  query.limit = *limit;
  if (const auto cursor = optional_param(params, "cursor")) {
    const auto after = parse_audit_cursor(*cursor);
    if (!after) {
      return core::make_error(core::Code::invalid_request,
                              "\"cursor\" is not a cursor this service returned");
    }
    query.after_seq = *after;
  }
  return query;
}

Reply list_audit(manager::RecordQueries& records, Call& call) {
  auto params = parse_query(call.request.query, {"user_id", "integration_id", "event", "since",
                                                 "until", "limit", "cursor"});
  if (!params) co_return params.error();
  auto query = audit_query(*params);
  if (!query) co_return query.error();
  call.audit.user_id = query->user_id.value_or(call.caller.subject);
  call.audit.integration_id = query->integration_id;
  auto page = co_await records.audit(call.caller, *query);
  if (!page) co_return page.error();
  auto events = nlohmann::json::array();
  for (const auto& event : page->events) events.push_back(audit_event_json(event));
  nlohmann::json body = {{"events", events}, {"next_cursor", nullptr}};
  if (page->next_after_seq) body["next_cursor"] = audit_cursor(*page->next_after_seq);
  co_return json_answer(200, body);
}

Reply verify_audit(manager::RecordQueries& records, Call& call) {
  if (auto params = parse_query(call.request.query, {}); !params) co_return params.error();
  auto verification = co_await records.verify_audit(call.caller);
  if (!verification) co_return verification.error();
  co_return json_answer(200, chain_verification_json(*verification));
}

// Binds a handler taking (records, call) to the guard's CallHandler shape.
CallHandler with_records(manager::RecordQueries& records,
                         Reply (*handler)(manager::RecordQueries&, Call&)) {
  return [&records, handler](Call& call) { return handler(records, call); };
}

}  // namespace

void add_record_routes(http::Router& router, GuardServices& guard,
                       manager::RecordQueries& records) {
  router.add("GET", "/v1/integrations",
             protect(guard, {Permission::integrations_read, "integrations.list"},
                     with_records(records, list_integrations)));
  router.add("GET", "/v1/integrations/{id}",
             protect(guard, {Permission::integrations_read, "integration.read"},
                     with_records(records, get_integration)));
  router.add("GET", "/v1/consents",
             protect(guard, {Permission::integrations_read, "consents.list"},
                     with_records(records, list_consents)));
  router.add(
      "GET", "/v1/audit",
      protect(guard, {Permission::audit_read, "audit.read"}, with_records(records, list_audit)));
  router.add("GET", "/v1/audit/verify",
             protect(guard, {Permission::audit_read, "audit.verify"},
                     with_records(records, verify_audit)));
}

}  // namespace oauth_manager::api
