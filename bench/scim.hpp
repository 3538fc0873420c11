#pragma once

// SCIM request bodies and the read-back helpers the verification step uses.

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "stats.hpp"

namespace bench {

using json = nlohmann::json;

inline constexpr const char* user_urn = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr const char* group_urn = "urn:ietf:params:scim:schemas:core:2.0:Group";
inline constexpr const char* patch_urn = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Percent-encodes a query value.
inline std::string enc(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

/// An Okta-shaped User body built through nlohmann::json (user_body's way
/// for values JSON escapes, and the reference its text is checked against).
inline std::string user_body_dom(const std::string& user_name, const std::string& given, const std::string& family) {
  json b = {{"schemas", {user_urn}},
            {"userName", user_name},
            {"name", {{"givenName", given}, {"familyName", family}}},
            {"emails", {{{"primary", true}, {"value", user_name}, {"type", "work"}}}},
            {"displayName", given + " " + family},
            {"locale", "en-US"},
            {"externalId", "ext-" + user_name},
            {"groups", json::array()},
            {"active", true}};
  return b.dump();
}

/// An Okta-shaped User body: the bytes nlohmann::json's dump() writes,
/// written as text. Through the JSON DOM it took 6.4 us per body, against
/// 0.37 us, and more than half the load generator's instructions per create
/// (106.5k -> 48.4k, callgrind). Values with characters JSON escapes, or
/// not ASCII, go through user_body_dom.
inline std::string user_body(const std::string& user_name, const std::string& given, const std::string& family) {
  auto plain = [](const std::string& v) {
    for (unsigned char ch : v)
      if (ch < 0x20 || ch == '"' || ch == '\\' || ch >= 0x80)
        return false;
    return true;
  };
  if (!plain(user_name) || !plain(given) || !plain(family))
    return user_body_dom(user_name, given, family);
  std::string b;
  b.reserve(320 + 3 * user_name.size() + 2 * (given.size() + family.size()));
  b += R"({"active":true,"displayName":")";
  b += given;
  b += ' ';
  b += family;
  b += R"(","emails":[{"primary":true,"type":"work","value":")";
  b += user_name;
  b += R"("}],"externalId":"ext-)";
  b += user_name;
  b += R"(","groups":[],"locale":"en-US","name":{"familyName":")";
  b += family;
  b += R"(","givenName":")";
  b += given;
  b += R"("},"schemas":[")";
  b += user_urn;
  b += R"("],"userName":")";
  b += user_name;
  b += R"("})";
  return b;
}

inline std::string patch_body(json ops) { return json{{"schemas", {patch_urn}}, {"Operations", std::move(ops)}}.dump(); }

/// A PatchOp body around operations already written as JSON text: the bytes
/// patch_body writes for them, without a JSON DOM (patch_body took 2.8-4.6 us
/// for the patch workload's operations). The patch workload's requests are
/// built this way.
inline std::string patch_text(std::string_view operations) {
  std::string b;
  b.reserve(operations.size() + 96);
  b += R"({"Operations":[)";
  b += operations;
  b += R"(],"schemas":[")";
  b += patch_urn;
  b += R"("]})";
  return b;
}

inline std::string filter_target(const std::string& user_name) {
  return "/scim/v2/Users?filter=" + enc("userName eq \"" + user_name + "\"");
}

/// The id in a 201 body ("" if absent). A string search, not a JSON parse,
/// to keep the load generator's own cost per request low; dirsyncd renders
/// the top-level "id" before any nested one (checked at verification anyway).
inline std::string id_of(const response& r) {
  auto at = r.body.find("\"id\":\"");
  if (at == std::string::npos)
    return {};
  at += 6;
  auto end = r.body.find('"', at);
  return end == std::string::npos ? std::string{} : r.body.substr(at, end - at);
}

/// totalResults of GET /Users?count=0[&filter=...]; -1 on failure.
inline long long user_total(client& c, const std::string& token, const std::string& filter = {}) {
  std::string t = "/scim/v2/Users?count=0";
  if (!filter.empty())
    t += "&filter=" + enc(filter);
  auto r = c.request(bhttp::verb::get, t, {}, token);
  auto j = json::parse(r.body, nullptr, false);
  if (r.status != 200 || !j.is_object() || !j.contains("totalResults"))
    return -1;
  return j["totalResults"].get<long long>();
}

/// Every user of the directory by id (paged with count=1000); false on failure.
inline bool all_users(client& c, const std::string& token, std::unordered_map<std::string, json>& out) {
  for (long long start = 1;; start += 1000) {
    auto r = c.request(bhttp::verb::get, "/scim/v2/Users?startIndex=" + std::to_string(start) + "&count=1000", {},
                       token);
    auto j = json::parse(r.body, nullptr, false);
    if (r.status != 200 || !j.is_object())
      return false;
    auto& res = j["Resources"];
    if (!res.is_array() || res.empty())
      return true;
    for (auto& u : res)
      out[u.value("id", "")] = u;
    if (start + static_cast<long long>(res.size()) > j.value("totalResults", 0LL))
      return true;
  }
}

/// Member ids of a group (GET /Groups/{id}); false on failure.
inline bool group_members(client& c, const std::string& token, const std::string& gid, std::set<std::string>& out) {
  auto r = c.request(bhttp::verb::get, "/scim/v2/Groups/" + gid, {}, token);
  auto j = json::parse(r.body, nullptr, false);
  if (r.status != 200 || !j.is_object())
    return false;
  if (j.contains("members") && j["members"].is_array())
    for (auto& m : j["members"])
      out.insert(m.value("value", ""));
  return true;
}

/// Prints one verification line; returns true when nothing was lost.
inline bool report_check(const std::string& what, long long expected, long long got, bool ok) {
  std::printf("verify: %-44s expected %lld, read back %lld  %s\n", what.c_str(), expected, got, ok ? "OK" : "LOST");
  return ok;
}

/// Creates n users named `<prefix>-<tag><i>@bench.example` at the run's
/// concurrency; ids[i] is the id of user i ("" if not acknowledged).
inline phase_result create_users(const settings& s, const std::string& token, const std::string& phase,
                                 const std::string& tag, std::uint64_t n, std::vector<std::string>& ids,
                                 std::vector<std::string>& names, double max_seconds, double rate = 0) {
  ids.assign(n, {});
  names.resize(n);
  for (std::uint64_t i = 0; i < n; ++i)
    names[i] = s.prefix + "-" + tag + std::to_string(i) + "@bench.example";
  auto bounded = s;
  bounded.max_seconds = max_seconds;
  bounded.rate = rate; // 0 (a setup): closed loop
  return run_phase(phase, bounded, s.concurrency, n, [&](int, std::uint64_t i, client& c, stats& st) {
    auto r = timed(c, st, "POST /Users", bhttp::verb::post, "/scim/v2/Users",
                   user_body(names[i], "Given" + std::to_string(i), "Family" + std::to_string(i)), token, 201);
    if (r.status == 201)
      ids[i] = id_of(r);
  });
}

inline std::uint64_t count_nonempty(const std::vector<std::string>& v) {
  std::uint64_t n = 0;
  for (auto& x : v)
    n += !x.empty();
  return n;
}

} // namespace bench
