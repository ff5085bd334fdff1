// Key material is wiped before its memory is freed. The bytes are read through an allocator that
// copies each buffer as it is freed, so no test reads freed memory (which ASan would flag).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "crypto/key_material.hpp"
#include "crypto/secret_bytes.hpp"

namespace oauth_manager::crypto {
namespace {

// Each buffer's contents at the moment it was freed, in order.
std::vector<std::string>& freed_buffers() {
  static std::vector<std::string> freed;
  return freed;
}

template <typename T>
struct RecordingAllocator {
  using value_type = T;
  RecordingAllocator() = default;
  template <typename U>
  RecordingAllocator(const RecordingAllocator<U>&) {}
  T* allocate(std::size_t count) { return std::allocator<T>{}.allocate(count); }
  void deallocate(T* buffer, std::size_t count) {
    freed_buffers().emplace_back(reinterpret_cast<const char*>(buffer), count * sizeof(T));
    std::allocator<T>{}.deallocate(buffer, count);
  }
  bool operator==(const RecordingAllocator&) const { return true; }
};

using RecordedSecret = BasicSecretBytes<RecordingAllocator<char>>;

static_assert(std::is_same_v<decltype(DataKey::secret), SecretBytes>,
              "a data key's bytes must be wiped when it goes");

const std::string kKey = "0123456789abcdef0123456789abcdef";
const std::string kOtherKey = "fedcba9876543210fedcba9876543210";

bool all_zero(const std::string& bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

class SecretBytesTest : public ::testing::Test {
 protected:
  void SetUp() override { freed_buffers().clear(); }
};

TEST_F(SecretBytesTest, BytesAreWipedBeforeTheirMemoryIsFreed) {
  { RecordedSecret secret(kKey); }
  ASSERT_EQ(freed_buffers().size(), 1U);
  EXPECT_EQ(freed_buffers()[0].size(), kKey.size());
  EXPECT_TRUE(all_zero(freed_buffers()[0]));
}

TEST_F(SecretBytesTest, AssignmentWipesTheBytesItReplaces) {
  RecordedSecret secret(kKey);
  const RecordedSecret other(kOtherKey);
  secret = other;
  EXPECT_EQ(secret.view(), kOtherKey);
  secret = RecordedSecret(kKey);
  EXPECT_EQ(secret.view(), kKey);
  ASSERT_EQ(freed_buffers().size(), 2U);
  EXPECT_TRUE(all_zero(freed_buffers()[0]));
  EXPECT_TRUE(all_zero(freed_buffers()[1]));
}

TEST_F(SecretBytesTest, MovingLeavesNoCopyBehind) {
  {
    RecordedSecret source(kKey);
    RecordedSecret target(std::move(source));
    EXPECT_EQ(target.view(), kKey);
    EXPECT_EQ(source.size(), 0U);  // NOLINT(bugprone-use-after-move): what a move leaves
  }
  ASSERT_EQ(freed_buffers().size(), 1U);
  EXPECT_TRUE(all_zero(freed_buffers()[0]));
}

TEST_F(SecretBytesTest, TakingAStringWipesIt) {
  std::string decoded = kKey;
  const auto secret = SecretBytes::take(std::move(decoded));
  EXPECT_EQ(secret.view(), kKey);
  EXPECT_TRUE(decoded.empty());
  EXPECT_TRUE(all_zero(std::string(decoded.data(), decoded.capacity())));
}

}  // namespace
}  // namespace oauth_manager::crypto
