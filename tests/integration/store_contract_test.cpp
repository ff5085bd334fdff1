// The Store contract: every case runs against a SQLite file and a real PostgreSQL.
#include "store_contract.hpp"

namespace oauth_manager {
namespace {

using core::Code;
using core::from_unix_ms;
using testing::BackendNames;
using testing::Backends;
using testing::PostgresBackend;
using testing::SqliteBackend;
using testing::StoreContract;

TYPED_TEST_SUITE(StoreContract, Backends, BackendNames);

TYPED_TEST(StoreContract, MigratingAgainAppliesNothing) {
  auto again = this->store_->migrate();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->applied.empty());
  EXPECT_GE(again->current_version, 1);
}

TYPED_TEST(StoreContract, ConcurrentMigrationsApplyEachMigrationOnce) {
  // A second, empty database: two "replicas" start at once and both migrate.
  TypeParam fresh;
  ASSERT_TRUE(fresh.available());
  auto first = store::open_store(fresh.url(), 2);
  auto second = store::open_store(fresh.url(), 2);
  ASSERT_TRUE(first && second);
  core::Result<store::MigrationReport> first_report = core::make_error(Code::internal, "not run");
  core::Result<store::MigrationReport> second_report = core::make_error(Code::internal, "not run");
  std::thread a([&] { first_report = (*first)->migrate(); });
  std::thread b([&] { second_report = (*second)->migrate(); });
  a.join();
  b.join();
  ASSERT_TRUE(first_report) << first_report.error().message;
  ASSERT_TRUE(second_report) << second_report.error().message;
  std::multiset<std::string> applied(first_report->applied.begin(), first_report->applied.end());
  applied.insert(second_report->applied.begin(), second_report->applied.end());
  std::multiset<std::string> expected;
  for (const auto& migration : store::embedded_migrations()) {
    if (migration.backend == TypeParam::kName) {
      expected.insert(fmt::format("{:04}_{}", migration.version, migration.name));
    }
  }
  EXPECT_EQ(applied, expected);
}

TYPED_TEST(StoreContract, UpsertKeepsOneIntegrationPerAccount) {
  const auto created = this->stored_integration("alice", "acct-1");
  auto changed = this->integration("alice", "google", "acct-1");
  changed.account_email = "new@example.com";
  changed.granted_scopes = {"openid"};
  changed.updated_at = from_unix_ms(1'700'000'999'000);
  auto updated = this->store_->upsert_integration(changed);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->id, created.id);  // the existing id is kept
  EXPECT_EQ(updated->account_email, "new@example.com");
  EXPECT_EQ(updated->granted_scopes, std::vector<std::string>{"openid"});
  EXPECT_EQ(updated->created_at, created.created_at);
  EXPECT_EQ(updated->updated_at, from_unix_ms(1'700'000'999'000));

  const auto second_account = this->stored_integration("alice", "acct-2");
  EXPECT_NE(second_account.id, created.id);
  auto listed = this->store_->list_integrations("alice", "google");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 2U);
}

TYPED_TEST(StoreContract, IntegrationRoundTripsEveryField) {
  auto value = this->integration("bob", "microsoft", "tenant/oid");
  value.account_name = std::nullopt;
  value.status = core::IntegrationStatus::needs_reauth;
  value.last_refreshed_at = from_unix_ms(1'700'000'000'999);
  ASSERT_TRUE(this->store_->upsert_integration(value));
  auto read = this->store_->get_integration(value.id);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->user_id, "bob");
  EXPECT_EQ(read->provider, "microsoft");
  EXPECT_EQ(read->provider_account_id, "tenant/oid");
  EXPECT_EQ(read->account_email, value.account_email);
  EXPECT_EQ(read->account_name, std::nullopt);
  EXPECT_EQ(read->status, core::IntegrationStatus::needs_reauth);
  EXPECT_EQ(read->granted_scopes, value.granted_scopes);
  EXPECT_EQ(read->created_at, value.created_at);
  EXPECT_EQ(read->last_refreshed_at, value.last_refreshed_at);
}

TYPED_TEST(StoreContract, UnknownIntegrationIsNotFound) {
  auto read = this->store_->get_integration("no-such-id");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, Code::not_found);
  auto status = this->store_->set_integration_status("no-such-id", core::IntegrationStatus::revoked,
                                                     from_unix_ms(1));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Code::not_found);
}

TYPED_TEST(StoreContract, ListingIsPerUserAndProvider) {
  this->stored_integration("alice", "a1");
  this->stored_integration("bob", "b1");
  ASSERT_TRUE(this->store_->upsert_integration(this->integration("alice", "notion", "n1")));
  auto alice_all = this->store_->list_integrations("alice", std::nullopt);
  auto alice_google = this->store_->list_integrations("alice", "google");
  auto carol = this->store_->list_integrations("carol", std::nullopt);
  ASSERT_TRUE(alice_all && alice_google && carol);
  EXPECT_EQ(alice_all->size(), 2U);
  ASSERT_EQ(alice_google->size(), 1U);
  EXPECT_EQ(alice_google->front().provider_account_id, "a1");
  EXPECT_TRUE(carol->empty());
}

TYPED_TEST(StoreContract, StatusChangeIsStored) {
  const auto created = this->stored_integration();
  ASSERT_TRUE(this->store_->set_integration_status(created.id, core::IntegrationStatus::revoked,
                                                   from_unix_ms(1'800'000'000'000)));
  auto read = this->store_->get_integration(created.id);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, core::IntegrationStatus::revoked);
  EXPECT_EQ(read->updated_at, from_unix_ms(1'800'000'000'000));
}

TYPED_TEST(StoreContract, TokenCiphertextsRoundTripAsBytes) {
  const auto created = this->stored_integration();
  const std::string access("\x00\x01\xfe\xff ciphertext \x00", 17);
  auto put = this->store_->put_tokens(this->tokens_for(created.id, access));
  ASSERT_TRUE(put) << put.error().message;
  auto read = this->store_->get_tokens(created.id);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->access_token_ciphertext, access);
  EXPECT_EQ(read->refresh_token_ciphertext, std::string("refresh\0\xff\x01", 10));
  EXPECT_EQ(read->token_type, "Bearer");
  EXPECT_EQ(read->expires_at, from_unix_ms(1'700'000'360'000));
  EXPECT_EQ(read->key_id, "k1");
  EXPECT_EQ(read->version, 1);
}

TYPED_TEST(StoreContract, ReconnectReplacesTokensWithANewVersion) {
  const auto created = this->stored_integration();
  ASSERT_TRUE(this->store_->put_tokens(this->tokens_for(created.id, "first")));
  ASSERT_TRUE(this->store_->put_tokens(this->tokens_for(created.id, "second")));
  auto replaced = this->store_->get_tokens(created.id);
  ASSERT_TRUE(replaced);
  EXPECT_EQ(replaced->version, 2);
  EXPECT_EQ(replaced->access_token_ciphertext, "second");
}

TYPED_TEST(StoreContract, StaleTokenVersionIsRejected) {
  const auto created = this->stored_integration();
  ASSERT_TRUE(this->store_->put_tokens(this->tokens_for(created.id, "v1")));
  auto first = this->store_->get_tokens(created.id);
  ASSERT_TRUE(first);
  auto winner = this->tokens_for(created.id, "v2-winner");
  auto updated = this->store_->update_tokens(winner, first->version);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->version, first->version + 1);

  auto loser = this->tokens_for(created.id, "v2-loser");
  auto stale = this->store_->update_tokens(loser, first->version);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Code::conflict);
  auto read = this->store_->get_tokens(created.id);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->access_token_ciphertext, "v2-winner");
}

TYPED_TEST(StoreContract, ConcurrentTokenUpdatesHaveExactlyOneWinner) {
  const auto created = this->stored_integration();
  ASSERT_TRUE(this->store_->put_tokens(this->tokens_for(created.id, "v1")));
  auto first = this->store_->get_tokens(created.id);
  ASSERT_TRUE(first);
  constexpr int kWriters = 8;
  std::atomic<int> wins{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      auto result = this->store_->update_tokens(this->tokens_for(created.id, fmt::format("w{}", i)),
                                                first->version);
      if (result) {
        ++wins;
      } else if (result.error().code == Code::conflict) {
        ++conflicts;
      }
    });
  }
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), kWriters - 1);
}

TYPED_TEST(StoreContract, TokensOfAMissingIntegrationAreRefused) {
  auto put = this->store_->put_tokens(this->tokens_for("no-such-integration", "x"));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, Code::not_found);
  auto update = this->store_->update_tokens(this->tokens_for("no-such-integration", "x"), 1);
  ASSERT_FALSE(update);
  EXPECT_EQ(update.error().code, Code::not_found);
}

TYPED_TEST(StoreContract, DeletedTokensAreGone) {
  const auto created = this->stored_integration();
  ASSERT_TRUE(this->store_->put_tokens(this->tokens_for(created.id, "x")));
  const auto deleted = this->store_->delete_tokens(created.id);
  ASSERT_TRUE(deleted);
  ASSERT_TRUE(*deleted) << "the deleted set comes back";
  EXPECT_EQ((*deleted)->integration_id, created.id);
  EXPECT_EQ((*deleted)->access_token_ciphertext, "x");
  EXPECT_FALSE(*this->store_->delete_tokens(created.id)) << "nothing left to delete";
  auto read = this->store_->get_tokens(created.id);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, Code::not_found);
}

TYPED_TEST(StoreContract, ScopesAreUpsertedPerProvider) {
  ASSERT_TRUE(this->store_->upsert_scopes({{"google", "openid", "Sign in"},
                                           {"google", "email", "Email address"},
                                           {"notion", "read", "Read pages"}}));
  ASSERT_TRUE(this->store_->upsert_scopes({{"google", "email", "See your email address"}}));
  auto google = this->store_->list_scopes("google");
  ASSERT_TRUE(google);
  ASSERT_EQ(google->size(), 2U);
  EXPECT_EQ(google->at(0).name, "email");
  EXPECT_EQ(google->at(0).description, "See your email address");
  EXPECT_EQ(google->at(1).name, "openid");
}

TYPED_TEST(StoreContract, ConsentLedgerAppendsListsAndCloses) {
  const auto created = this->stored_integration();
  core::Consent consent;
  consent.id = core::new_id(this->random_);
  consent.user_id = "alice";
  consent.integration_id = created.id;
  consent.requested_scopes = {"openid", "email", "calendar"};
  consent.granted_scopes = {"openid", "email"};
  consent.created_at = from_unix_ms(1'700'000'000'000);
  consent.ip = "203.0.113.9";
  consent.user_agent = "Mozilla/5.0";
  ASSERT_TRUE(this->store_->append_consent(consent));

  auto closed = this->store_->close_consents(created.id, from_unix_ms(1'700'000'500'000));
  ASSERT_TRUE(closed);
  EXPECT_EQ(*closed, 1);
  auto closed_again = this->store_->close_consents(created.id, from_unix_ms(1'700'000'600'000));
  ASSERT_TRUE(closed_again);
  EXPECT_EQ(*closed_again, 0);  // a closed entry stays closed at its first time

  auto listed = this->store_->list_consents("alice");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ(listed->front().requested_scopes, consent.requested_scopes);
  EXPECT_EQ(listed->front().granted_scopes, consent.granted_scopes);
  EXPECT_EQ(listed->front().revoked_at, from_unix_ms(1'700'000'500'000));
  EXPECT_EQ(listed->front().user_agent, "Mozilla/5.0");
  auto other = this->store_->list_consents("bob");
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->empty());
}

TYPED_TEST(StoreContract, ConsentLedgerRefusesEditsAndDeletes) {
  const auto created = this->stored_integration();
  core::Consent consent;
  consent.id = "consent-1";
  consent.user_id = "alice";
  consent.integration_id = created.id;
  consent.created_at = from_unix_ms(1);
  ASSERT_TRUE(this->store_->append_consent(consent));
  auto raw = this->backend_.raw();
  EXPECT_FALSE(raw->run_script("UPDATE consents SET granted_scopes = 'admin'"));
  EXPECT_FALSE(raw->run_script("DELETE FROM consents"));
}

TYPED_TEST(StoreContract, AnAuditAppendThatThrowsLeavesItsConnectionOutOfTheTransaction) {
  // One connection: left inside the failed transaction, it would hold the chain's lock (or
  // SQLite's write lock) and refuse the next BEGIN.
  auto store = this->open(1);
  auto broken = this->audit("integration.read", "alice");
  broken.user_id = "\xff\xfe";  // not UTF-8: the chain's canonical JSON cannot be made
  try {
    auto appended = store->append_audit(broken);
    EXPECT_FALSE(appended);
  } catch (const std::exception&) {  // what a blocking pool turns into an error
  }
  auto next = store->append_audit(this->audit("integration.connected", "alice"));
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_TRUE(store->ping());
}

TYPED_TEST(StoreContract, AuditChainAppendsAndVerifies) {
  for (int i = 0; i < 5; ++i) {
    auto appended = this->store_->append_audit(this->audit(
        i % 2 == 0 ? "token.read" : "integration.connected", "alice", 1'700'000'000'000 + i));
    ASSERT_TRUE(appended) << appended.error().message;
    EXPECT_EQ(appended->hash, store::chain_hash(appended->prev_hash, *appended));
  }
  auto events = this->store_->list_audit({});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 5U);
  EXPECT_EQ(events->front().prev_hash, store::kGenesisHash);
  for (std::size_t i = 1; i < events->size(); ++i) {
    EXPECT_EQ((*events)[i].prev_hash, (*events)[i - 1].hash);
    EXPECT_GT((*events)[i].seq, (*events)[i - 1].seq);
  }
  auto verification = store::verify_audit_chain(*this->store_);
  ASSERT_TRUE(verification);
  EXPECT_TRUE(verification->intact) << verification->problem;
  EXPECT_EQ(verification->events_checked, 5);
}

TYPED_TEST(StoreContract, AnAuditBatchJoinsTheChainInOrderAllOrNothing) {
  ASSERT_TRUE(this->store_->append_audit(this->audit("integration.connected", "alice", 1000)));
  std::vector<core::AuditEvent> batch;
  for (int i = 0; i < 4; ++i) batch.push_back(this->audit("token.read", "alice", 2000 + i));
  auto appended = this->store_->append_audit_batch(batch);
  ASSERT_TRUE(appended) << appended.error().message;
  ASSERT_EQ(appended->size(), 4U);
  for (std::size_t i = 1; i < appended->size(); ++i) {
    EXPECT_EQ((*appended)[i].prev_hash, (*appended)[i - 1].hash);
    EXPECT_EQ((*appended)[i].occurred_at, batch[i].occurred_at);
  }
  // A batch larger than one INSERT statement takes (100 rows) keeps its order across them.
  std::vector<core::AuditEvent> large;
  for (int i = 0; i < 250; ++i) large.push_back(this->audit("token.read", "bob", 3000 + i));
  auto appended_large = this->store_->append_audit_batch(large);
  ASSERT_TRUE(appended_large) << appended_large.error().message;
  ASSERT_EQ(appended_large->size(), 250U);
  EXPECT_EQ(appended_large->front().prev_hash, appended->back().hash);
  for (std::size_t i = 0; i < large.size(); ++i) {
    EXPECT_EQ((*appended_large)[i].id, large[i].id);
    if (i > 0) {
      EXPECT_GT((*appended_large)[i].seq, (*appended_large)[i - 1].seq);
    }
  }
  // An id already taken fails the whole batch: nothing of it is written.
  std::vector<core::AuditEvent> clashing = {this->audit("token.read", "bob", 3000), batch[0]};
  EXPECT_FALSE(this->store_->append_audit_batch(clashing));
  auto verification = store::verify_audit_chain(*this->store_);
  ASSERT_TRUE(verification);
  EXPECT_TRUE(verification->intact) << verification->problem;
  EXPECT_EQ(verification->events_checked, 255);
}

TYPED_TEST(StoreContract, ConcurrentAuditAppendsKeepOneChain) {
  constexpr int kThreads = 6;
  constexpr int kPerThread = 15;
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!this->store_->append_audit(this->audit("token.read", fmt::format("user{}", t)))) {
          ++failures;
        }
      }
    });
  }
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(failures.load(), 0);
  auto verification = store::verify_audit_chain(*this->store_);
  ASSERT_TRUE(verification);
  EXPECT_TRUE(verification->intact) << verification->problem;
  EXPECT_EQ(verification->events_checked, kThreads * kPerThread);
}

TYPED_TEST(StoreContract, TamperedAuditRowBreaksTheChain) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(this->store_->append_audit(this->audit("x", "alice")));
  auto raw = this->backend_.raw();
  // Without tampering rights the append-only trigger refuses the edit.
  EXPECT_FALSE(raw->run_script("UPDATE audit_events SET outcome = 'denied' WHERE seq = 2"));
  EXPECT_FALSE(raw->run_script("DELETE FROM audit_events WHERE seq = 2"));
  ASSERT_TRUE(raw->run_script(TypeParam::kTamperAudit));
  auto verification = store::verify_audit_chain(*this->store_);
  ASSERT_TRUE(verification);
  EXPECT_FALSE(verification->intact);
  EXPECT_EQ(verification->first_broken_seq, 2);
}

TYPED_TEST(StoreContract, AuditQueryFiltersAndPages) {
  ASSERT_TRUE(this->store_->append_audit(this->audit("token.read", "alice", 1000)));
  ASSERT_TRUE(this->store_->append_audit(this->audit("token.read", "bob", 2000)));
  auto with_integration = this->audit("integration.connected", "alice", 3000);
  with_integration.integration_id = "int-1";
  ASSERT_TRUE(this->store_->append_audit(with_integration));
  ASSERT_TRUE(this->store_->append_audit(this->audit("token.read", "alice", 4000)));

  store::AuditQuery by_user;
  by_user.user_id = "alice";
  auto alice = this->store_->list_audit(by_user);
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->size(), 3U);

  store::AuditQuery by_event;
  by_event.event = "integration.connected";
  by_event.integration_id = "int-1";
  auto connected = this->store_->list_audit(by_event);
  ASSERT_TRUE(connected);
  ASSERT_EQ(connected->size(), 1U);
  EXPECT_EQ(connected->front().occurred_at, from_unix_ms(3000));

  store::AuditQuery window;
  window.since = from_unix_ms(2000);
  window.until = from_unix_ms(4000);
  auto in_window = this->store_->list_audit(window);
  ASSERT_TRUE(in_window);
  EXPECT_EQ(in_window->size(), 2U);

  store::AuditQuery page;
  page.limit = 3;
  auto first_page = this->store_->list_audit(page);
  ASSERT_TRUE(first_page);
  ASSERT_EQ(first_page->size(), 3U);
  page.after_seq = first_page->back().seq;
  auto second_page = this->store_->list_audit(page);
  ASSERT_TRUE(second_page);
  ASSERT_EQ(second_page->size(), 1U);
  EXPECT_EQ(second_page->front().occurred_at, from_unix_ms(4000));
}

TYPED_TEST(StoreContract, StateRoundTripsAndIsConsumedOnce) {
  ASSERT_TRUE(this->store_->insert_state(this->state("hash-1")));
  auto consumed = this->store_->consume_state("hash-1", from_unix_ms(1'700'000'000'500));
  ASSERT_TRUE(consumed) << consumed.error().message;
  EXPECT_EQ(consumed->user_id, "alice");
  EXPECT_EQ(consumed->provider, "google");
  EXPECT_EQ(consumed->pkce_verifier_ciphertext, std::string("\x00verifier\x80", 10));
  EXPECT_EQ(consumed->nonce, "nonce-1");
  EXPECT_EQ(consumed->requested_scopes.size(), 2U);
  EXPECT_EQ(consumed->return_to, "https://app.example.com/done");
  EXPECT_EQ(consumed->expires_at, from_unix_ms(1'700'000'600'000));
  EXPECT_EQ(consumed->consumed_at, from_unix_ms(1'700'000'000'500));

  auto replay = this->store_->consume_state("hash-1", from_unix_ms(1'700'000'000'600));
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, Code::not_found);
  auto unknown = this->store_->consume_state("hash-unknown", from_unix_ms(1));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Code::not_found);
}

TYPED_TEST(StoreContract, DuplicateStateHashIsAConflict) {
  ASSERT_TRUE(this->store_->insert_state(this->state("dup")));
  auto again = this->store_->insert_state(this->state("dup"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Code::conflict);
}

TYPED_TEST(StoreContract, ConcurrentConsumersOfOneStateHaveExactlyOneWinner) {
  constexpr int kRounds = 10;
  constexpr int kConsumers = 8;
  for (int round = 0; round < kRounds; ++round) {
    const auto hash = fmt::format("race-{}", round);
    ASSERT_TRUE(this->store_->insert_state(this->state(hash)));
    std::atomic<int> winners{0};
    std::atomic<int> losers{0};
    std::vector<std::thread> consumers;
    for (int i = 0; i < kConsumers; ++i) {
      consumers.emplace_back([&] {
        auto result = this->store_->consume_state(hash, from_unix_ms(1'700'000'000'001));
        if (result) {
          ++winners;
        } else if (result.error().code == Code::not_found) {
          ++losers;
        }
      });
    }
    for (auto& consumer : consumers) consumer.join();
    EXPECT_EQ(winners.load(), 1) << "round " << round;
    EXPECT_EQ(losers.load(), kConsumers - 1) << "round " << round;
  }
}

TYPED_TEST(StoreContract, ExpiredStatesAreDeleted) {
  ASSERT_TRUE(this->store_->insert_state(this->state("old", 1000)));
  ASSERT_TRUE(this->store_->insert_state(this->state("new", 5000)));
  auto deleted = this->store_->delete_expired_states(from_unix_ms(3000));
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 1);
  EXPECT_FALSE(this->store_->consume_state("old", from_unix_ms(3000)));
  EXPECT_TRUE(this->store_->consume_state("new", from_unix_ms(3000)));
}

TYPED_TEST(StoreContract, ExpiringTokensAreListedSoonestFirst) {
  const auto later = this->stored_integration("alice", "later").id;
  const auto sooner = this->stored_integration("alice", "sooner").id;
  const auto revoked = this->stored_integration("alice", "revoked").id;
  const auto far = this->stored_integration("alice", "far").id;
  const auto with_expiry = [&](const std::string& id, std::int64_t ms) {
    auto tokens = this->tokens_for(id, "access");
    tokens.expires_at = from_unix_ms(ms);
    ASSERT_TRUE(this->store_->put_tokens(tokens));
  };
  with_expiry(later, 2000);
  with_expiry(sooner, 1000);
  with_expiry(revoked, 500);
  with_expiry(far, 9000);
  ASSERT_TRUE(this->store_->set_integration_status(revoked, core::IntegrationStatus::revoked,
                                                   from_unix_ms(1)));
  const auto expiring = this->store_->list_expiring(from_unix_ms(5000), 10);
  ASSERT_TRUE(expiring) << expiring.error().message;
  EXPECT_EQ(*expiring, (std::vector<std::string>{sooner, later}));
  EXPECT_EQ(this->store_->list_expiring(from_unix_ms(5000), 1)->size(), 1U);
}

TYPED_TEST(StoreContract, ARefreshIsNoted) {
  const auto id = this->stored_integration().id;
  ASSERT_TRUE(this->store_->mark_refreshed(id, from_unix_ms(1'800'000'000'123)));
  const auto read = this->store_->get_integration(id);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->last_refreshed_at, from_unix_ms(1'800'000'000'123));
  EXPECT_EQ(read->updated_at, from_unix_ms(1'800'000'000'123));
  EXPECT_EQ(this->store_->mark_refreshed("nope", from_unix_ms(1)).error().code, Code::not_found);
}

// One use case, one transaction: a connection's integration, tokens, consent and audit event
// commit together.
TYPED_TEST(StoreContract, ATransactionCommitsEverythingItWrote) {
  std::string id;
  auto done = this->store_->transact([&](store::Store& tx) -> core::Status {
    auto stored = tx.upsert_integration(this->integration("alice", "google", "tx-1"));
    if (!stored) return stored.error();
    id = stored->id;
    if (auto put = tx.put_tokens(this->tokens_for(id, "in-tx")); !put) return put;
    auto event = this->audit("integration.connected", "alice");
    if (auto appended = tx.append_audit(event); !appended) return appended.error();
    return tx.transact(
        [&](store::Store& nested) { return nested.mark_refreshed(id, from_unix_ms(1)); });
  });
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(this->store_->get_tokens(id)->access_token_ciphertext, "in-tx");
  EXPECT_EQ(this->store_->get_integration(id)->last_refreshed_at, from_unix_ms(1));
  EXPECT_EQ(this->store_->list_audit({})->size(), 1U);
  EXPECT_TRUE(store::verify_audit_chain(*this->store_)->intact);
}

// A crash or error half-way leaves nothing half-done: every write of the transaction is undone,
// the audit chain included.
TYPED_TEST(StoreContract, AFailedTransactionLeavesNothingBehind) {
  const auto before = this->stored_integration("bob", "b-1");
  auto failed = this->store_->transact([&](store::Store& tx) -> core::Status {
    auto stored = tx.upsert_integration(this->integration("alice", "google", "tx-2"));
    if (!stored) return stored.error();
    if (auto put = tx.put_tokens(this->tokens_for(stored->id, "lost")); !put) return put;
    if (auto appended = tx.append_audit(this->audit("integration.connected", "alice")); !appended) {
      return appended.error();
    }
    if (auto marked =
            tx.set_integration_status(before.id, core::IntegrationStatus::revoked, from_unix_ms(2));
        !marked) {
      return marked;
    }
    return core::make_error(Code::conflict, "the use case changed its mind");
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "the use case changed its mind");
  EXPECT_TRUE(this->store_->list_integrations("alice", std::nullopt)->empty());
  EXPECT_TRUE(this->store_->list_audit({})->empty());
  EXPECT_EQ(this->store_->get_integration(before.id)->status, core::IntegrationStatus::active);
  EXPECT_THROW((void)this->store_->transact([&](store::Store& tx) -> core::Status {
    (void)tx.upsert_integration(this->integration("carol", "google", "tx-3"));
    throw std::runtime_error("a bug");
  }),
               std::runtime_error);
  EXPECT_TRUE(this->store_->list_integrations("carol", std::nullopt)->empty());
  ASSERT_TRUE(this->store_->ping()) << "the connection is usable after the rollback";
}

// A write whose answer is only "it worked" may travel with the transaction's next statement or
// its commit (PostgreSQL): its failure must still fail the transaction, wherever it shows.
TYPED_TEST(StoreContract, AWriteThatFailsInsideATransactionFailsTheTransaction) {
  auto store = this->open(1);  // one connection: it must come out of each failure usable
  const auto existing = this->stored_integration("bob", "b-1");
  core::Consent consent;
  consent.id = "consent-dup";
  consent.user_id = "bob";
  consent.integration_id = existing.id;
  consent.created_at = from_unix_ms(1);
  ASSERT_TRUE(store->append_consent(consent));
  const auto write_then = [&](const std::string& account, bool read_after) {
    return store->transact([&](store::Store& tx) -> core::Status {
      auto stored = tx.upsert_integration(this->integration("alice", "google", account));
      if (!stored) return stored.error();
      if (auto appended = tx.append_consent(consent); !appended) return appended;  // a duplicate
      if (!read_after) return core::Status{};
      auto read = tx.get_integration(stored->id);
      if (!read) return read.error();
      return core::Status{};
    });
  };
  for (const bool read_after : {false, true}) {
    const auto failed = write_then(read_after ? "dup-2" : "dup-1", read_after);
    ASSERT_FALSE(failed) << "read after the write: " << read_after;
    EXPECT_EQ(failed.error().code, Code::conflict);
    EXPECT_TRUE(store->list_integrations("alice", std::nullopt)->empty());
    ASSERT_TRUE(store->ping()) << "the connection is usable after the failure";
  }
  // A caller that goes on after a failed statement: SQLite undoes only that statement and
  // commits the rest, PostgreSQL's transaction is aborted. Either way the answer must match
  // what is stored (PostgreSQL answers COMMIT in an aborted transaction with "ROLLBACK", no error).
  const auto carried_on = store->transact([&](store::Store& tx) -> core::Status {
    auto stored = tx.upsert_integration(this->integration("carol", "google", "carried-on"));
    if (!stored) return stored.error();
    (void)tx.append_consent(consent);  // a duplicate, its failure ignored
    (void)tx.get_integration(stored->id);
    return core::Status{};
  });
  EXPECT_EQ(static_cast<bool>(carried_on),
            !store->list_integrations("carol", std::nullopt)->empty());
  ASSERT_TRUE(store->ping());
  consent.id = "consent-new";
  ASSERT_TRUE(write_then("ok-1", true));
  EXPECT_EQ(store->list_integrations("alice", std::nullopt)->size(), 1U);
}

TYPED_TEST(StoreContract, GrantedScopesAreReplaced) {
  const auto id = this->stored_integration().id;
  const std::vector<std::string> narrowed = {"openid", "email"};
  ASSERT_TRUE(this->store_->set_granted_scopes(id, narrowed, from_unix_ms(1'800'000'000'000)));
  const auto read = this->store_->get_integration(id);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->granted_scopes, narrowed);
  EXPECT_EQ(read->updated_at, from_unix_ms(1'800'000'000'000));
  EXPECT_EQ(this->store_->set_granted_scopes("nope", narrowed, from_unix_ms(1)).error().code,
            Code::not_found);
}

TYPED_TEST(StoreContract, ARefreshBackoffIsStoredReplacedAndCleared) {
  const auto id = this->stored_integration().id;
  const auto t = [](std::int64_t ms) { return from_unix_ms(1'700'000'000'000 + ms); };
  EXPECT_EQ(*this->store_->get_refresh_backoff(id), std::nullopt);
  ASSERT_TRUE(this->store_->put_refresh_backoff(id, {1, t(1'000)}));
  ASSERT_TRUE(this->store_->put_refresh_backoff(id, {2, t(3'000)}));
  const auto found = *this->store_->get_refresh_backoff(id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->failures, 2);
  EXPECT_EQ(found->retry_at, t(3'000));
  ASSERT_TRUE(this->store_->clear_refresh_backoff(id));
  EXPECT_EQ(*this->store_->get_refresh_backoff(id), std::nullopt);
  ASSERT_TRUE(this->store_->clear_refresh_backoff(id)) << "clearing nothing is fine";
}

TYPED_TEST(StoreContract, ARefreshLeaseHasOneOwnerUntilReleasedOrExpired) {
  const auto id = this->stored_integration().id;
  const auto t = [](std::int64_t ms) { return from_unix_ms(1'700'000'000'000 + ms); };
  EXPECT_TRUE(*this->store_->acquire_refresh_lease(id, "replica-a", t(0), t(30'000)));
  EXPECT_FALSE(*this->store_->acquire_refresh_lease(id, "replica-b", t(1'000), t(31'000)));
  ASSERT_TRUE(this->store_->release_refresh_lease(id, "replica-b"));  // not its lease: no effect
  EXPECT_FALSE(*this->store_->acquire_refresh_lease(id, "replica-b", t(2'000), t(32'000)));
  // Expired: another owner takes over, and the first owner's late release leaves it alone.
  EXPECT_TRUE(*this->store_->acquire_refresh_lease(id, "replica-b", t(30'000), t(60'000)));
  ASSERT_TRUE(this->store_->release_refresh_lease(id, "replica-a"));
  EXPECT_FALSE(*this->store_->acquire_refresh_lease(id, "replica-c", t(31'000), t(61'000)));
  ASSERT_TRUE(this->store_->release_refresh_lease(id, "replica-b"));
  EXPECT_TRUE(*this->store_->acquire_refresh_lease(id, "replica-c", t(32'000), t(62'000)));
}

TYPED_TEST(StoreContract, ConcurrentLeaseTakersHaveExactlyOneWinner) {
  for (int round = 0; round < 5; ++round) {
    const auto id = this->stored_integration("alice", fmt::format("lease-{}", round)).id;
    std::atomic<int> owners{0};
    std::vector<std::thread> takers;
    for (int i = 0; i < 8; ++i) {
      takers.emplace_back([&, i] {
        auto taken = this->store_->acquire_refresh_lease(id, fmt::format("owner-{}", i),
                                                         from_unix_ms(1000), from_unix_ms(31'000));
        if (taken && *taken) ++owners;
      });
    }
    for (auto& taker : takers) taker.join();
    EXPECT_EQ(owners.load(), 1) << "round " << round;
  }
}

TYPED_TEST(StoreContract, HotLookupsUseIndexes) {
  // Enough rows that a planner has a real choice to make.
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(this->store_->upsert_integration(
        this->integration(fmt::format("user{}", i), "google", fmt::format("acct{}", i))));
    ASSERT_TRUE(this->store_->insert_state(this->state(fmt::format("hash{}", i))));
  }
  for (auto lookup :
       {store::IndexedLookup::integrations_by_user_provider, store::IndexedLookup::state_by_hash}) {
    auto indexed = this->store_->lookup_uses_index(lookup);
    ASSERT_TRUE(indexed) << indexed.error().message;
    EXPECT_TRUE(*indexed) << "lookup " << static_cast<int>(lookup) << " scans the table";
  }
  // The probe is not vacuous: without the index the same lookup is a full scan.
  // (integrations_by_account leads with the provider, so it would serve the lookup as well.)
  ASSERT_TRUE(this->backend_.raw()->run_script("DROP INDEX integrations_user_provider_account"));
  ASSERT_TRUE(this->backend_.raw()->run_script("DROP INDEX integrations_by_account"));
  auto unindexed =
      this->store_->lookup_uses_index(store::IndexedLookup::integrations_by_user_provider);
  ASSERT_TRUE(unindexed);
  EXPECT_FALSE(*unindexed);
}

TYPED_TEST(StoreContract, PingAnswers) { EXPECT_TRUE(this->store_->ping()); }

}  // namespace
}  // namespace oauth_manager
