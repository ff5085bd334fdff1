#include "manager/connect_confirmation.hpp"

#include <nlohmann/json.hpp>

#include "crypto/hash.hpp"
#include "crypto/pkce.hpp"
#include "log/logger.hpp"
#include "manager/token_revoker.hpp"
#include "net/url.hpp"

namespace oauth_manager::manager {
namespace {

constexpr std::size_t kFlowIdLength = 43;  // 32 random bytes, base64url
constexpr int kPurgeBatch = 100;

// Bound to the row's id, user and provider: a row relabelled in the database does not decrypt.
std::string payload_associated_data(const core::PendingConnection& pending) {
  return "pending/" + pending.id_hash + "/" + pending.user_id + "/" + pending.provider;
}

nlohmann::json optional_json(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}

std::optional<std::string> optional_string(const nlohmann::json& json, const char* key) {
  const auto found = json.find(key);
  if (found == json.end() || !found->is_string()) return std::nullopt;
  return found->get<std::string>();
}

// The held connection as one JSON document (encrypted before it is stored).
std::string payload_text(const NewConnection& connection,
                         const std::optional<std::string>& return_to) {
  const auto& integration = connection.integration;
  const auto& tokens = connection.tokens;
  nlohmann::json expires_at;
  if (tokens.expires_at) expires_at = core::to_unix_ms(*tokens.expires_at);
  return nlohmann::json{{"integration",
                         {{"id", integration.id},
                          {"provider_account_id", integration.provider_account_id},
                          {"account_email", optional_json(integration.account_email)},
                          {"account_name", optional_json(integration.account_name)},
                          {"granted_scopes", integration.granted_scopes},
                          {"created_at", core::to_unix_ms(integration.created_at)}}},
                        {"tokens",
                         {{"access_token", tokens.access_token},
                          {"refresh_token", optional_json(tokens.refresh_token)},
                          {"token_type", tokens.token_type},
                          {"expires_at", expires_at}}},
                        {"requested_scopes", connection.requested_scopes},
                        {"ip", optional_json(connection.ip)},
                        {"user_agent", optional_json(connection.user_agent)},
                        {"return_to", optional_json(return_to)}}
      .dump();
}

}  // namespace

struct ConnectConfirmation::Held {
  NewConnection connection;
  std::optional<std::string> return_to;
  core::Timestamp expires_at;
  std::string revocation;  // what became of its grant once refused: for the audit
};

ConnectConfirmation::ConnectConfirmation(store::Store& store, core::BlockingPool& blocking,
                                         const crypto::Keyring& keyring, ConnectionWriter& writer,
                                         events::AuditWriter& audit, const core::Clock& clock,
                                         core::RandomSource& random, ConfirmSettings settings)
    : store_(store),
      blocking_(blocking),
      keyring_(keyring),
      writer_(writer),
      vault_(keyring),
      audit_(audit),
      clock_(clock),
      random_(random),
      settings_(std::move(settings)) {}

boost::asio::awaitable<core::Result<std::string>> ConnectConfirmation::hold(
    const NewConnection& connection, const std::optional<std::string>& return_to) {
  const auto flow_id = crypto::new_random_token(random_);
  core::PendingConnection pending;
  pending.id_hash = crypto::sha256_hex(flow_id);
  pending.user_id = connection.integration.user_id;
  pending.provider = connection.integration.provider;
  pending.payload_ciphertext =
      keyring_.encrypt(payload_text(connection, return_to), payload_associated_data(pending));
  pending.created_at = clock_.now();
  pending.expires_at = pending.created_at + settings_.lifetime;
  auto inserted = co_await blocking_.run(
      [this, &pending] { return store_.insert_pending_connection(pending); });
  if (!inserted) co_return inserted.error();
  const std::vector<std::pair<std::string, std::string>> query = {{"flow", flow_id}};
  co_return net::with_query(*settings_.confirm_url, query);
}

core::Result<ConnectConfirmation::Held> ConnectConfirmation::open(
    const core::PendingConnection& pending) const {
  auto text = keyring_.decrypt(pending.payload_ciphertext, payload_associated_data(pending));
  if (!text) return text.error();
  const auto json = nlohmann::json::parse(*text, nullptr, false);
  const auto malformed = core::make_error(core::Code::internal, "a held connection is malformed");
  if (!json.is_object() || !json.contains("integration") || !json.contains("tokens")) {
    return malformed;
  }
  try {
    Held held;
    auto& integration = held.connection.integration;
    const auto& stored = json.at("integration");
    integration.id = stored.at("id").get<std::string>();
    integration.user_id = pending.user_id;
    integration.provider = pending.provider;
    integration.provider_account_id = stored.at("provider_account_id").get<std::string>();
    integration.account_email = optional_string(stored, "account_email");
    integration.account_name = optional_string(stored, "account_name");
    integration.granted_scopes = stored.at("granted_scopes").get<std::vector<std::string>>();
    integration.created_at = core::from_unix_ms(stored.at("created_at").get<std::int64_t>());
    integration.updated_at = integration.created_at;
    auto& tokens = held.connection.tokens;
    const auto& sealed = json.at("tokens");
    tokens.access_token = sealed.at("access_token").get<std::string>();
    tokens.refresh_token = optional_string(sealed, "refresh_token");
    tokens.token_type = sealed.at("token_type").get<std::string>();
    if (sealed.at("expires_at").is_number_integer()) {
      tokens.expires_at = core::from_unix_ms(sealed.at("expires_at").get<std::int64_t>());
    }
    held.connection.requested_scopes = json.at("requested_scopes").get<std::vector<std::string>>();
    held.connection.ip = optional_string(json, "ip");
    held.connection.user_agent = optional_string(json, "user_agent");
    held.return_to = optional_string(json, "return_to");
    held.expires_at = pending.expires_at;
    return held;
  } catch (const nlohmann::json::exception&) {
    return malformed;
  }
}

core::Result<std::vector<core::OutboxJob>> ConnectConfirmation::revoke_in(store::Store& tx,
                                                                          Held& held, bool leased,
                                                                          core::Timestamp now) {
  const auto& integration = held.connection.integration;
  held.revocation = "not revoked: no outbox here";
  if (outbox_ == nullptr) return std::vector<core::OutboxJob>{};
  // Google revokes per account and client: if anyone holds this account in a live integration,
  // revoking this grant would end theirs too. The held tokens are just dropped then.
  auto holders =
      tx.count_live_integrations_of_account(integration.provider, integration.provider_account_id);
  if (!holders) return holders.error();
  if (*holders > 0) {
    held.revocation = "not revoked: the account is connected in another integration";
    return std::vector<core::OutboxJob>{};
  }
  const auto sealed = vault_.seal(integration.id, held.connection.tokens, now);
  auto jobs = TokenRevoker::jobs_for(integration, sealed, *outbox_, leased);
  if (auto queued = events::OutboxWorker::enqueue(tx, jobs); !queued) return queued.error();
  held.revocation = "queued";
  return jobs;
}

boost::asio::awaitable<core::Result<ConfirmedConnection>> ConnectConfirmation::confirm(
    const std::string& flow_id, const std::string& user_id, const std::string& actor) {
  const auto unknown = core::make_error(
      core::Code::not_found,
      "this connection is unknown or was confirmed already; start the connection again");
  if (flow_id.size() != kFlowIdLength) co_return unknown;
  const auto id_hash = crypto::sha256_hex(flow_id);
  const auto now = clock_.now();
  std::optional<Held> held;
  std::optional<core::Integration> connected;
  std::vector<core::OutboxJob> revocations;
  // One transaction: the held flow is spent together with what it leads to (the connection,
  // or the revocation of its grant), so a crash never leaves it half-done.
  auto committed = co_await blocking_.run([&] {
    return store_.transact([&](store::Store& tx) -> core::Status {
      auto pending = tx.take_pending_connection(id_hash);
      if (!pending) return pending.error();
      auto opened = open(*pending);
      if (!opened) return opened.error();
      held = std::move(*opened);
      if (pending->user_id == user_id && held->expires_at > now) {
        auto written = writer_.write(tx, held->connection, now);
        if (!written) return written.error();
        connected = std::move(*written);
        return core::Status{};
      }
      auto jobs = revoke_in(tx, *held, /*leased=*/true, now);
      if (!jobs) return jobs.error();
      revocations = std::move(*jobs);
      return core::Status{};
    });
  });
  if (!committed) {
    co_return committed.error().code == core::Code::not_found ? unknown : committed.error();
  }
  if (connected) {
    writer_.committed();
    co_return ConfirmedConnection{std::move(*connected), held->return_to};
  }
  co_await revoke_now(revocations);
  const bool expired = held->expires_at <= now;
  const std::string outcome = expired ? "confirm_expired" : "flow_user_mismatch";
  co_await audit_refusal(*held, outcome, actor);
  if (expired) {
    co_return core::make_error(core::Code::state_expired,
                               "this connection waited too long for its confirmation; start it "
                               "again");
  }
  co_return core::make_error(core::Code::flow_user_mismatch,
                             "this connection was started by another user; it was cancelled and "
                             "its access revoked. Start the connection again yourself");
}

boost::asio::awaitable<void> ConnectConfirmation::revoke_now(
    const std::vector<core::OutboxJob>& jobs) {
  for (const auto& job : jobs) {
    const auto delivery = co_await outbox_->deliver(job);
    if (delivery.outcome == events::Delivery::Outcome::retry) outbox_->wake();
  }
}

boost::asio::awaitable<core::Result<int>> ConnectConfirmation::purge_expired() {
  int purged = 0;
  // Batch after batch until one comes back short: a burst of abandoned flows is revoked now,
  // not a hundred a minute.
  for (;;) {
    auto batch = co_await purge_batch();
    if (!batch) co_return batch.error();
    purged += *batch;
    if (*batch < kPurgeBatch) co_return purged;
  }
}

boost::asio::awaitable<core::Result<int>> ConnectConfirmation::purge_batch() {
  const auto now = clock_.now();
  std::vector<Held> purged;
  int taken = 0;
  auto committed = co_await blocking_.run([&] {
    return store_.transact([&](store::Store& tx) -> core::Status {
      auto expired = tx.take_expired_pending_connections(now, kPurgeBatch);
      if (!expired) return expired.error();
      taken = static_cast<int>(expired->size());
      for (const auto& pending : *expired) {
        auto opened = open(pending);
        if (!opened) {
          // Sealed under a key no longer loaded: nothing left to revoke with; dropped.
          log::warn("connect.pending_unreadable", {{"provider", pending.provider}});
          continue;
        }
        if (auto jobs = revoke_in(tx, *opened, /*leased=*/false, now); !jobs) {
          return jobs.error();
        }
        purged.push_back(std::move(*opened));
      }
      return core::Status{};
    });
  });
  if (!committed) co_return committed.error();
  if (!purged.empty() && outbox_ != nullptr) outbox_->wake();
  const std::string outcome = "confirm_expired";
  const std::string system = "system";
  for (const auto& held : purged) co_await audit_refusal(held, outcome, system);
  co_return taken;
}

boost::asio::awaitable<void> ConnectConfirmation::audit_refusal(const Held& held,
                                                                const std::string& outcome,
                                                                const std::string& actor) {
  const auto& integration = held.connection.integration;
  core::AuditEvent record;
  record.actor = actor;
  record.event = "integration.connect_failed";
  record.user_id = integration.user_id;
  record.outcome = outcome;
  const nlohmann::json details = {
      {"provider", integration.provider}, {"reason", outcome}, {"revocation", held.revocation}};
  record.details = details.dump();
  if (auto written = co_await audit_.record(std::move(record)); !written) {
    log::error("audit.write_failed",
               {{"event", "integration.connect_failed"}, {"error", written.error().message}});
  }
}

}  // namespace oauth_manager::manager
