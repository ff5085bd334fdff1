#include "events/webhooks.hpp"

#include <gtest/gtest.h>

namespace oauth_manager::events {
namespace {

TEST(WebhookSignature, IsTheHexHmacSha256OfTheTimestampDotBody) {
  const std::string body = R"({"id":"e1","type":"integration.revoked"})";
  // Computed independently with OpenSSL's command line:
  //   printf '%s' '1795000000.{"id":"e1","type":"integration.revoked"}' |
  //   openssl dgst -sha256 -hmac 'webhook-secret-for-the-tests'
  EXPECT_EQ(webhook_signature("webhook-secret-for-the-tests", 1795000000, body),
            "t=1795000000,v1=66f95d453546bb47d3ea727eb54951fe59c32d1cbeef966a5312246d90872bb6");
}

TEST(WebhookSignature, CoversTheTimestampTheBodyAndTheSecret) {
  const auto signature = webhook_signature("secret-one-of-16+", 100, "{}");
  EXPECT_NE(signature.substr(signature.find(',')),
            webhook_signature("secret-one-of-16+", 101, "{}").substr(signature.find(',')));
  EXPECT_NE(signature, webhook_signature("secret-one-of-16+", 100, "{ }"));
  EXPECT_NE(signature, webhook_signature("secret-two-of-16+", 100, "{}"));
}

}  // namespace
}  // namespace oauth_manager::events
