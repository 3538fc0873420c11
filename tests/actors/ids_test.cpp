// Ids of users, groups and everything else: RFC 9562 version 7 UUIDs,
// unique and increasing, so consecutive creates share index pages.
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "actors/services.hpp"

using dirsync::actors::random_ids;

TEST_CASE("ids are version 7 UUIDs, strictly increasing, with the current time in front", "[ids]") {
  random_ids ids;
  const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<std::string> made;
  for (int i = 0; i < 20000; ++i)
    made.push_back(ids.new_id());
  for (const auto& id : made)
    REQUIRE(std::regex_match(id, shape));
  // Many ids share a millisecond: the counter keeps them in order.
  for (std::size_t i = 1; i < made.size(); ++i)
    REQUIRE(made[i - 1] < made[i]);
  auto hex_ms = made.front().substr(0, 8) + made.front().substr(9, 4);
  auto stamp = static_cast<long long>(std::stoull(hex_ms, nullptr, 16));
  CHECK(stamp >= before);
  CHECK(stamp <= before + 60000);
}

namespace {

// `each` ids made on each of `threads` threads at once, by thread.
std::vector<std::vector<std::string>> ids_from_threads(int threads, int each) {
  random_ids ids;
  std::vector<std::vector<std::string>> made(static_cast<std::size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < each; ++i)
        made[static_cast<std::size_t>(t)].push_back(ids.new_id());
    });
  for (auto& th : pool)
    th.join();
  return made;
}

} // namespace

TEST_CASE("ids made on several threads at once are all different and each thread's increase", "[ids]") {
  constexpr int threads = 4, each = 5000;
  auto made = ids_from_threads(threads, each);
  std::set<std::string> all;
  for (const auto& list : made) {
    CHECK(std::is_sorted(list.begin(), list.end()));
    all.insert(list.begin(), list.end());
  }
  CHECK(all.size() == static_cast<std::size_t>(threads * each));
}

// The 62 random bits after the variant (RFC 9562: rand_b) come from the
// CSPRNG, a block at a time per thread: no tail repeats, within a thread or
// across threads, and every bit is set in about half of the ids.
TEST_CASE("ids end in random bits that never repeat and are set half of the time", "[ids]") {
  constexpr int threads = 2, each = 10000;
  auto made = ids_from_threads(threads, each);
  std::set<std::string> tails;
  std::vector<int> ones(64, 0);
  for (const auto& list : made)
    for (const auto& id : list) {
      auto tail = id.substr(19, 4) + id.substr(24); // the last 8 bytes, in hex
      tails.insert(tail);
      auto bits = std::stoull(tail, nullptr, 16);
      for (int b = 0; b < 64; ++b)
        ones[static_cast<std::size_t>(b)] += static_cast<int>((bits >> b) & 1);
    }
  CHECK(tails.size() == static_cast<std::size_t>(threads * each));
  for (int b = 0; b < 62; ++b) {
    INFO("bit " << b);
    CHECK(ones[static_cast<std::size_t>(b)] > threads * each * 45 / 100);
    CHECK(ones[static_cast<std::size_t>(b)] < threads * each * 55 / 100);
  }
  CHECK(ones[62] == 0); // variant 10
  CHECK(ones[63] == threads * each);
}
