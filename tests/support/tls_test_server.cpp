#include "support/tls_test_server.hpp"

#include "support/raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <stdexcept>

namespace oauth_manager::testing {
namespace {

// Waits for a connection, checking now and then whether to stop.
int accept_or_stop(int listener, const std::atomic<bool>& stopping) {
  while (!stopping) {
    pollfd waiting{listener, POLLIN, 0};
    if (::poll(&waiting, 1, 50) > 0) return ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  }
  return -1;
}

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void write_pem(const std::filesystem::path& file, EVP_PKEY* key, X509* certificate) {
  FILE* out = std::fopen(file.c_str(), "w");
  if (key != nullptr) PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
  if (certificate != nullptr) PEM_write_X509(out, certificate);
  std::fclose(out);
}

// A self-signed certificate for DNS:localhost, valid for a day.
void make_certificate(const std::filesystem::path& dir) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* certificate = X509_new();
  X509_set_version(certificate, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate), -60);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 86400);
  X509_set_pubkey(certificate, key);
  X509_NAME* name = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(certificate, name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost"},
                                   std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    X509_add_ext(certificate, extension, -1);
    X509_EXTENSION_free(extension);
  }
  X509_sign(certificate, key, EVP_sha256());
  write_pem(dir / "ca.pem", nullptr, certificate);
  write_pem(dir / "server.pem", key, certificate);
  X509_free(certificate);
  EVP_PKEY_free(key);
}

}  // namespace

TlsTestServer::TlsTestServer() {
  make_certificate(dir_.path());
  listener_ = listen_on_loopback(port_);
  thread_ = std::thread([this] { serve(); });
}

TlsTestServer::~TlsTestServer() {
  stopping_ = true;
  thread_.join();
  ::close(listener_);
}

void TlsTestServer::serve() {
  SSL_CTX* context = SSL_CTX_new(TLS_server_method());
  const auto pem = (dir_ / "server.pem").string();
  SSL_CTX_use_certificate_file(context, pem.c_str(), SSL_FILETYPE_PEM);
  SSL_CTX_use_PrivateKey_file(context, pem.c_str(), SSL_FILETYPE_PEM);
  while (!stopping_) {
    const int fd = accept_or_stop(listener_, stopping_);
    if (fd < 0) continue;
    timeval limit{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    SSL* ssl = SSL_new(context);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      std::string head;
      char buffer[1024];
      while (head.find("\r\n\r\n") == std::string::npos) {
        const int n = SSL_read(ssl, buffer, sizeof buffer);
        if (n <= 0) break;
        head.append(buffer, static_cast<std::size_t>(n));
      }
      ++requests_;
      const std::string response =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n"
          "Connection: close\r\n\r\n{\"tls\":true}";
      SSL_write(ssl, response.data(), static_cast<int>(response.size()));
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    ::close(fd);
  }
  SSL_CTX_free(context);
}

ConnectProxy::ConnectProxy() {
  listener_ = listen_on_loopback(port_);
  thread_ = std::thread([this] { serve(); });
}

ConnectProxy::~ConnectProxy() {
  stopping_ = true;
  thread_.join();
  ::close(listener_);
}

std::string ConnectProxy::last_request_head() const {
  std::lock_guard lock(mutex_);
  return last_head_;
}

void ConnectProxy::serve() {
  while (!stopping_) {
    const int client = accept_or_stop(listener_, stopping_);
    if (client < 0) continue;
    std::string head;
    char buffer[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      const auto n = ::recv(client, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      head.append(buffer, static_cast<std::size_t>(n));
    }
    {
      std::lock_guard lock(mutex_);
      last_head_ = head.substr(0, head.find("\r\n\r\n"));
    }
    // "CONNECT host:port HTTP/1.1": this proxy only reaches 127.0.0.1, whatever the host.
    const auto colon = head.find(':', 8);
    const auto space = head.find(' ', 8);
    const int upstream = head.rfind("CONNECT ", 0) == 0 && colon < space
                             ? connect_loopback(static_cast<std::uint16_t>(
                                   std::stoi(head.substr(colon + 1, space - colon - 1))))
                             : -1;
    if (upstream < 0) {
      const std::string refused = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
      ::send(client, refused.data(), refused.size(), MSG_NOSIGNAL);
      ::close(client);
      continue;
    }
    ++tunnels_;
    const std::string established = "HTTP/1.1 200 Connection Established\r\n\r\n";
    ::send(client, established.data(), established.size(), MSG_NOSIGNAL);
    // Pipe both ways until either side closes.
    pollfd ends[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
    bool open = true;
    while (open && !stopping_) {
      if (::poll(ends, 2, 100) <= 0) continue;
      for (int i = 0; i < 2 && open; ++i) {
        if ((ends[i].revents & (POLLIN | POLLHUP)) == 0) continue;
        const auto n = ::recv(ends[i].fd, buffer, sizeof buffer, 0);
        if (n <= 0 ||
            ::send(ends[1 - i].fd, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) < 0) {
          open = false;
        }
      }
    }
    ::close(upstream);
    ::close(client);
  }
}

}  // namespace oauth_manager::testing
