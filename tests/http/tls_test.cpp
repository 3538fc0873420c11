#include <cstdio>
#include <filesystem>
#include <memory>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "http/support.hpp"

using namespace dirsync::http;
using namespace dirsync::http::test;

namespace {

/// A self-signed EC certificate and key written as PEM files; removed on exit.
struct self_signed_files {
  std::filesystem::path dir;
  std::filesystem::path cert;
  std::filesystem::path key;

  self_signed_files() {
    dir = std::filesystem::temp_directory_path() /
          ("dirsync-tls-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(dir);
    cert = dir / "cert.pem";
    key = dir / "key.pem";

    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(EVP_EC_gen("P-256"), EVP_PKEY_free);
    REQUIRE(pkey);
    std::unique_ptr<X509, decltype(&X509_free)> x509(X509_new(), X509_free);
    REQUIRE(x509);
    X509_set_version(x509.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(x509.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(x509.get()), 3600);
    X509_set_pubkey(x509.get(), pkey.get());
    X509_NAME* name = X509_get_subject_name(x509.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(x509.get(), name);
    REQUIRE(X509_sign(x509.get(), pkey.get(), EVP_sha256()) > 0);

    FILE* f = std::fopen(cert.c_str(), "w");
    REQUIRE(f);
    PEM_write_X509(f, x509.get());
    std::fclose(f);
    f = std::fopen(key.c_str(), "w");
    REQUIRE(f);
    PEM_write_PrivateKey(f, pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
  }
  ~self_signed_files() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

} // namespace

TEST_CASE("HTTPS with a self-signed certificate serves keep-alive requests", "[http]") {
  self_signed_files files;
  server_options o;
  o.tls_cert = files.cert.string();
  o.tls_key = files.key.string();
  running_server s(echo_path(), o);

  tls_client c(s.port());
  auto first = c.get("/secure");
  CHECK(first.result_int() == 200);
  CHECK(first.body() == "/secure");
  CHECK(c.get("/again").body() == "/again");
  s.srv->stop(std::chrono::milliseconds(500));
}

TEST_CASE("a plain-text client on the TLS port is refused without a crash", "[http]") {
  self_signed_files files;
  server_options o;
  o.tls_cert = files.cert.string();
  o.tls_key = files.key.string();
  running_server s(echo_path(), o);
  client c(s.port());
  REQUIRE(!c.write_raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK(c.closed_by_peer());
}

TEST_CASE("start fails with a clear error for unreadable TLS files", "[http]") {
  dirsync::metrics::registry reg;
  server_options o;
  o.port = 0;
  o.tls_cert = "/nonexistent/cert.pem";
  o.tls_key = "/nonexistent/key.pem";
  server s(o, echo_path(), reg);
  auto err = s.start();
  REQUIRE(err);
  CHECK(err->find("certificate") != std::string::npos);

  server_options half;
  half.port = 0;
  half.tls_cert = "/nonexistent/cert.pem";
  server h(half, echo_path(), reg);
  CHECK(h.start());
}
