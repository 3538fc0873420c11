#include "actors/admin_common.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace dirsync::actors::admin {

admin_reply error(int status, std::string message) {
  return admin_reply{status, nlohmann::json{{"error", std::move(message)}, {"status", status}}};
}

admin_reply from_error(const scim::error& e) {
  int status = scim::http_status(e.code);
  if (e.code == scim::error_code::internal)
    return error(status, "internal error");
  return error(status, e.detail);
}

bool may_write(const std::string& role) {
  return role == "owner" || role == "administrator" || role == "user_manager";
}

std::optional<std::string> query_value(const admin_call& call, const std::string& key) {
  for (const auto& [k, v] : call.query)
    if (k == key)
      return v;
  return std::nullopt;
}

namespace {

bool parse_int(const std::string& text, std::int64_t& out) {
  if (text.empty())
    return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

} // namespace

bool page_params(const admin_call& call, std::int64_t fallback, std::int64_t max, std::int64_t& limit,
                 std::int64_t& cursor, admin_reply& bad) {
  limit = fallback;
  cursor = 0;
  if (auto l = query_value(call, "limit")) {
    if (!parse_int(*l, limit) || limit < 1 || limit > max) {
      bad = error(400, "limit must be an integer from 1 to " + std::to_string(max));
      return false;
    }
  }
  if (auto c = query_value(call, "cursor"); c && !c->empty()) {
    if (!parse_int(*c, cursor) || cursor < 1) {
      bad = error(400, "cursor is not valid");
      return false;
    }
  }
  return true;
}

bool read_page(const admin_call& call, promise rp, std::int64_t& limit, std::int64_t& cursor) {
  admin_reply bad;
  if (page_params(call, 100, 1000, limit, cursor, bad))
    return true;
  rp.deliver(std::move(bad));
  return false;
}

nlohmann::json next_cursor(bool more, std::int64_t last) {
  return more ? nlohmann::json(std::to_string(last)) : nlohmann::json();
}

std::string add_days(const std::string& at, int days) {
  return add_time(at, std::chrono::hours{24 * days});
}

std::pair<std::string, std::string> effective_status(const persistence::admin_user& a) {
  if (a.user.trashed_at)
    return {"disabled", "in_trash"};
  if (a.status == "disabled")
    return {"disabled", "user_disabled"};
  if (a.group_disabled)
    return {"disabled", "group_disabled"};
  if (a.status == "bypass")
    return {"bypass", "user_bypass"};
  if (a.group_bypass)
    return {"bypass", "group_bypass"};
  return {"active", "active"};
}

std::string str(const nlohmann::json& j, const char* key) {
  if (!j.is_object())
    return {};
  auto i = j.find(key);
  return i != j.end() && i->is_string() ? i->get<std::string>() : std::string{};
}

bool string_fields(const nlohmann::json& body, std::initializer_list<const char*> allowed, admin_reply& bad) {
  if (!body.is_object()) {
    bad = error(400, "the body must be a JSON object");
    return false;
  }
  for (auto& [key, value] : body.items()) {
    bool known = false;
    for (const char* a : allowed)
      known = known || key == a;
    if (!known) {
      bad = error(400, "unknown field " + key);
      return false;
    }
    if (!value.is_string()) {
      bad = error(400, key + " must be a string");
      return false;
    }
  }
  return true;
}

nlohmann::json managed_by(const std::string& id, const std::string& name, const std::string& type) {
  if (id.empty())
    return nullptr;
  return nlohmann::json{{"id", id}, {"name", name}, {"type", type}};
}

void run_read(const context_ptr& ctx, self_ptr self, promise rp,
              std::function<admin_reply(persistence::reader&)> fn) {
  auto out = std::make_shared<admin_reply>();
  self->request(ctx->reader(), caf::infinite, read_job{[out, fn](persistence::reader& db) {
                  *out = fn(db);
                  return scim_reply{};
                }})
    .then([rp, out](scim_reply&) mutable { rp.deliver(*out); },
          [rp](caf::error&) mutable { rp.deliver(error(503, "storage is unavailable")); });
}

void run_write(const context_ptr& ctx, self_ptr self, promise rp,
               std::function<admin_reply(persistence::writer&)> fn) {
  auto out = std::make_shared<admin_reply>();
  out->status = 0; // not run yet
  auto job = write_job{[out, fn](persistence::writer& db) -> scim::expected<scim::unit> {
    *out = fn(db);
    if (out->status >= 400)
      return scim::make_error(scim::error_code::conflict, "refused");
    return scim::unit{};
  }};
  self->request(ctx->writer, caf::infinite, std::move(job))
    .then(
      [rp, out](write_ack& ack) mutable {
        if (out->status >= 400)
          rp.deliver(*out);
        else if (ack.error || out->status == 0)
          rp.deliver(ack.error ? from_error(*ack.error) : error(500, "internal error"));
        else
          rp.deliver(*out);
      },
      [rp](caf::error&) mutable { rp.deliver(error(500, "internal error")); });
}

} // namespace dirsync::actors::admin
