// The default sender: one .eml file per outbox entry, written atomically.
#include "support.hpp"

#include <algorithm>

#include <sys/stat.h>

using namespace dirsync::mail;
using namespace dirsync::mail::test;

namespace {

dirsync::config::mail_settings folder_settings(const fs::path& folder) {
  dirsync::config::mail_settings s;
  s.folder = folder.string();
  s.from = "dirsync@sync.example.com";
  return s;
}

std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator{folder})
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("without smtp_url each message is written as <id>.eml", "[mail][eml]") {
  temp_dir tmp;
  auto folder = tmp.path / "not" / "yet" / "there";
  auto s = folder_settings(folder);
  auto sender = make_sender(s);
  auto m = sample("0f8e2c1a-9b7d-4e3f");
  auto r = sender->send(m);
  CHECK(r.status == outcome::sent);
  auto file = folder / "0f8e2c1a-9b7d-4e3f.eml";
  CHECK(r.detail == "written to " + file.string());
  CHECK(read_text(file) == *render(m, s.from));
  CHECK(names_in(folder) == std::vector<std::string>{"0f8e2c1a-9b7d-4e3f.eml"});
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("writing the same id again replaces the file", "[mail][eml]") {
  temp_dir tmp;
  auto s = folder_settings(tmp.path);
  auto sender = make_sender(s);
  auto first = sample("entry-1");
  REQUIRE(sender->send(first).status == outcome::sent);
  auto retry = sample("entry-1");
  retry.text = "second attempt\n";
  // A stale temporary from a crashed attempt is simply overwritten.
  write_text(tmp.path / ".entry-1.eml.tmp", "partial");
  REQUIRE(sender->send(retry).status == outcome::sent);
  CHECK(read_text(tmp.path / "entry-1.eml") == *render(retry, s.from));
  REQUIRE(sender->send(sample("entry-2")).status == outcome::sent);
  CHECK(names_in(tmp.path) == std::vector<std::string>{"entry-1.eml", "entry-2.eml"});
}

TEST_CASE("an id unfit for a file name is hex-encoded", "[mail][eml]") {
  temp_dir tmp;
  auto sender = make_sender(folder_settings(tmp.path / "mail"));
  REQUIRE(sender->send(sample("../escape")).status == outcome::sent);
  CHECK(names_in(tmp.path) == std::vector<std::string>{"mail"});
  CHECK(names_in(tmp.path / "mail") == std::vector<std::string>{"=2E2E2F657363617065.eml"});
}

TEST_CASE("refused messages and I/O errors are reported, not thrown", "[mail][eml]") {
  temp_dir tmp;
  auto s = folder_settings(tmp.path);
  auto m = sample("bad");
  m.to = "not an address";
  auto r = make_sender(s)->send(m);
  CHECK(r.status == outcome::permanent);
  CHECK(r.detail == "the recipient address is not a valid address");

  s.from = "broken";
  r = make_sender(s)->send(sample("x"));
  CHECK(r.status == outcome::transient);
  CHECK_THAT(r.detail, Catch::Matchers::Contains("mail.from"));
  CHECK(names_in(tmp.path).empty());

  // The folder cannot be created: a file stands in its way.
  write_text(tmp.path / "file", "");
  r = make_sender(folder_settings(tmp.path / "file" / "mail"))->send(sample("x"));
  CHECK(r.status == outcome::transient);
  CHECK_THAT(r.detail, Catch::Matchers::StartsWith("cannot create mail folder"));

  // The folder exists but is not writable (skipped as root, who may write anyway).
  if (::geteuid() != 0) {
    fs::create_directories(tmp.path / "ro");
    fs::permissions(tmp.path / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    r = make_sender(folder_settings(tmp.path / "ro"))->send(sample("x"));
    CHECK(r.status == outcome::transient);
    CHECK_THAT(r.detail, Catch::Matchers::StartsWith("cannot create"));
    fs::permissions(tmp.path / "ro", fs::perms::owner_all);
  }
}
