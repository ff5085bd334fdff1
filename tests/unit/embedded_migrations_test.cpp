#include <gtest/gtest.h>

#include "store/embedded_migrations.hpp"

namespace oauth_manager {
namespace {

TEST(Migrations, EveryBackendHasTheSameNumberedSequence) {
  std::map<std::string_view, std::vector<int>> versions;
  for (const auto& migration : store::embedded_migrations()) {
    versions[migration.backend].push_back(migration.version);
    EXPECT_FALSE(migration.sql.empty());
  }
  ASSERT_EQ(versions.size(), 2U);
  ASSERT_TRUE(versions.count("sqlite") && versions.count("postgres"));
  EXPECT_EQ(versions["sqlite"], versions["postgres"]);
  for (std::size_t i = 0; i < versions["sqlite"].size(); ++i) {
    EXPECT_EQ(versions["sqlite"][i], static_cast<int>(i) + 1);
  }
}

}  // namespace
}  // namespace oauth_manager
