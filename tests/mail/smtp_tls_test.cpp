// STARTTLS and implicit TLS against the sink with a self-signed certificate.
#include "support.hpp"

#include <cstdio>
#include <memory>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

using namespace dirsync::mail;
using namespace dirsync::mail::test;
using dirsync::config::starttls_mode;

namespace {

/// A self-signed P-256 certificate for 127.0.0.1 (IP SAN) and its key, as PEM
/// files in `dir`; the certificate doubles as the CA file.
struct loopback_certificate {
  fs::path cert;
  fs::path key;

  explicit loopback_certificate(const fs::path& dir)
      : cert(dir / "cert.pem"), key(dir / "key.pem") {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(EVP_EC_gen("P-256"), EVP_PKEY_free);
    REQUIRE(pkey);
    std::unique_ptr<X509, decltype(&X509_free)> x509(X509_new(), X509_free);
    REQUIRE(x509);
    X509_set_version(x509.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(x509.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(x509.get()), 3600);
    X509_set_pubkey(x509.get(), pkey.get());
    X509_NAME* name = X509_get_subject_name(x509.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(x509.get(), name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x509.get(), x509.get(), nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      REQUIRE(ext);
      X509_add_ext(x509.get(), ext, -1);
      X509_EXTENSION_free(ext);
    }
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
};

/// Sink arguments serving `c`, plus `extra`.
std::vector<std::string> tls_args(const loopback_certificate& c,
                                  std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--cert", c.cert.string(), "--key", c.key.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

} // namespace

TEST_CASE("STARTTLS is used when the server offers it", "[mail][smtp][tls]") {
  temp_dir tmp;
  loopback_certificate c{tmp.path};
  auto in = tmp.path / "in";
  smtp_sink sink{in, tls_args(c, {"--user", "dirsync", "--password", "pw"})};
  auto s = settings_for(sink.url());
  s.tls_ca_file = c.cert.string();

  // auto without a login: opportunistic.
  auto r = make_sender(s)->send(sample("t1"));
  INFO(r.detail);
  CHECK(r.status == outcome::transient); // this sink wants a login: 530 over TLS
  s.smtp_user = "dirsync";
  s.smtp_password_file = (tmp.path / "pw").string();
  write_text(s.smtp_password_file, "pw\n");
  for (auto mode : {starttls_mode::automatic, starttls_mode::required}) {
    s.tls = mode;
    r = make_sender(s)->send(sample("t2"));
    INFO(r.detail);
    CHECK(r.status == outcome::sent);
  }
  auto got = messages(in);
  REQUIRE(got.size() == 2);
  for (const auto& g : got) {
    CHECK(g.envelope["tls"] == true);
    CHECK(g.envelope["auth_user"] == "dirsync");
    CHECK(g.data == *render(sample("t2"), s.from));
  }
  auto verbs = commands(in);
  CHECK(std::count(verbs.begin(), verbs.end(), "STARTTLS") == 3);
}

TEST_CASE("mail.tls auto without login upgrades when offered, stays plain otherwise",
          "[mail][smtp][tls]") {
  temp_dir tmp;
  loopback_certificate c{tmp.path};
  smtp_sink with_tls{tmp.path / "a", tls_args(c)};
  smtp_sink without{tmp.path / "b", {}};
  auto s = settings_for(with_tls.url());
  s.tls_ca_file = c.cert.string();
  CHECK(make_sender(s)->send(sample("u1")).status == outcome::sent);
  s.smtp_url = without.url();
  CHECK(make_sender(s)->send(sample("u2")).status == outcome::sent);
  CHECK(messages(tmp.path / "a").at(0).envelope["tls"] == true);
  CHECK(messages(tmp.path / "b").at(0).envelope["tls"] == false);

  // off never upgrades, even when offered.
  s.smtp_url = with_tls.url();
  s.tls = starttls_mode::off;
  CHECK(make_sender(s)->send(sample("u3")).status == outcome::sent);
  CHECK(messages(tmp.path / "a").at(1).envelope["tls"] == false);
}

TEST_CASE("TLS failures are transient and never fall back to plain text", "[mail][smtp][tls]") {
  temp_dir tmp;
  loopback_certificate c{tmp.path};
  smtp_sink without{tmp.path / "plain", {}};
  smtp_sink with_tls{tmp.path / "tls", tls_args(c)};

  // require, but no STARTTLS offered.
  auto s = settings_for(without.url());
  s.tls = starttls_mode::required;
  auto r = make_sender(s)->send(sample("v1"));
  CHECK(r.status == outcome::transient);
  CHECK_THAT(r.detail, Catch::Matchers::Contains("STARTTLS"));

  // Offered, but the certificate is not trusted (no CA file): no plain retry.
  s = settings_for(with_tls.url());
  r = make_sender(s)->send(sample("v2"));
  INFO(r.detail);
  CHECK(r.status == outcome::transient);
  CHECK(messages(tmp.path / "plain").empty());
  CHECK(messages(tmp.path / "tls").empty());
  auto verbs = commands(tmp.path / "tls");
  CHECK(std::find(verbs.begin(), verbs.end(), "MAIL") == verbs.end());
}

TEST_CASE("smtps:// is implicit TLS", "[mail][smtp][tls]") {
  temp_dir tmp;
  loopback_certificate c{tmp.path};
  smtp_sink sink{tmp.path / "in", tls_args(c, {"--implicit-tls"})};
  auto s = settings_for(sink.url("smtps"));
  s.tls_ca_file = c.cert.string();
  auto r = make_sender(s)->send(sample("w1"));
  INFO(r.detail);
  CHECK(r.status == outcome::sent);
  auto got = messages(tmp.path / "in");
  REQUIRE(got.size() == 1);
  CHECK(got[0].envelope["tls"] == true);
  CHECK(got[0].data == *render(sample("w1"), s.from));

  // The same server is not trusted without the CA file.
  s.tls_ca_file.clear();
  CHECK(make_sender(s)->send(sample("w2")).status == outcome::transient);
  CHECK(messages(tmp.path / "in").size() == 1);
}
