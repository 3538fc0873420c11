// Attribute mapping in the admin API (D3, D12): a directory's mappings, the
// catalog with suggested destinations, "select all", and the organisation's
// custom attributes.

#include <algorithm>
#include <memory>

#include "actors/admin_common.hpp"

namespace dirsync::actors {

namespace {

namespace mapping = scim::mapping;
using admin::error;
using admin::str;
using rules_t = std::vector<mapping::rule>;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Destinations compare case-insensitively: custom attribute names are unique
// that way, built-in names are lower case anyway.
bool same_destination(const std::string& a, const std::string& b) {
  return lower(a) == lower(b);
}

const mapping::rule* by_source(const rules_t& rules, const std::string& source) {
  for (const auto& r : rules)
    if (r.source == source)
      return &r;
  return nullptr;
}

const mapping::rule* by_destination(const rules_t& rules, const std::string& destination) {
  for (const auto& r : rules)
    if (same_destination(r.destination, destination))
      return &r;
  return nullptr;
}

nlohmann::json rule_json(const mapping::rule& r) {
  const auto* e = mapping::find_source(r.source);
  return {{"source", r.source},
          {"label", e != nullptr ? e->label : r.source},
          {"destination", r.destination},
          {"fixed", e != nullptr && e->fixed},
          {"required", false}};
}

nlohmann::json mappings_json(const persistence::directory_row& row,
                             const std::vector<persistence::custom_attribute_row>& custom) {
  auto required = nlohmann::json::array();
  for (const auto& r : mapping::required())
    required.push_back({{"source", r.source}, {"destination", r.destination}, {"fixed", true}, {"required", true}});
  auto optional = nlohmann::json::array();
  for (const auto& r : row.mappings)
    optional.push_back(rule_json(r));
  auto catalog = nlohmann::json::array();
  for (const auto& e : mapping::catalog())
    catalog.push_back({{"source", e.source},
                       {"label", e.label},
                       {"suggested_destination", e.suggested},
                       {"fixed", e.fixed},
                       {"mapped", by_source(row.mappings, e.source) != nullptr}});
  auto builtin = nlohmann::json::array({"display_name", "notes"});
  for (int i = 1; i <= mapping::alias_count; ++i)
    builtin.push_back("username_alias_" + std::to_string(i));
  builtin.push_back("phones");
  auto names = nlohmann::json::array();
  for (const auto& c : custom)
    names.push_back(c.name);
  return {{"directory", row.id},
          {"required", std::move(required)},
          {"mappings", std::move(optional)},
          {"catalog", std::move(catalog)},
          {"destinations", {{"built_in", std::move(builtin)}, {"custom_attributes", std::move(names)}}}};
}

// One requested rule: the source resolved to its catalog spelling, the
// destination defaulting to the suggestion. Empty string on success.
std::string resolve(const nlohmann::json& item, mapping::rule& out) {
  if (!item.is_object() || !item.contains("source") || !item["source"].is_string())
    return "each mapping needs a string \"source\"";
  if (item.contains("destination") && !item["destination"].is_string())
    return "\"destination\" must be a string";
  for (const auto& [k, v] : item.items())
    if (k != "source" && k != "destination")
      return "unknown member \"" + k + "\"";
  auto source = item["source"].get<std::string>();
  const auto* e = mapping::find_source(source);
  if (e == nullptr)
    return mapping::is_required_source(source) ? "the mapping of " + source + " is required and fixed"
                                               : "unknown source attribute \"" + source + "\"";
  out.source = e->source;
  out.destination = item.contains("destination") ? item["destination"].get<std::string>() : e->suggested;
  return mapping::rule_problem(out);
}

// Adds `wanted` to `rules` (one mapping per source and per destination, D3).
admin_reply add_rules(rules_t& rules, const rules_t& wanted) {
  for (const auto& r : wanted) {
    if (by_source(rules, r.source) != nullptr)
      return error(409, r.source + " is already mapped");
    if (const auto* other = by_destination(rules, r.destination))
      return error(409, "the destination " + r.destination + " is already used by the mapping of " + other->source);
    rules.push_back(r);
  }
  return admin_reply{200, nullptr};
}

// Inside the write transaction: custom destinations take the spelling of an
// existing custom attribute, or create it (the admin "typed its name").
scim::expected<scim::unit> settle_custom(persistence::writer& db, rules_t& rules, const std::string& at,
                                         const std::string& admin_id) {
  for (auto& r : rules) {
    auto name = mapping::custom_name(r.destination);
    if (!name)
      continue;
    if (auto existing = db.custom_attribute(*name)) {
      r.destination = std::string{mapping::custom_prefix} + existing->name;
      continue;
    }
    if (auto ok = db.insert_custom_attribute({*name, at}); !ok)
      return ok;
    if (auto ok = db.append_action(at, "admin", admin_id, "custom_attribute.create", "custom_attribute", *name,
                                   nlohmann::json{{"name", *name}}.dump(), "ok");
        !ok)
      return ok;
  }
  return scim::unit{};
}

nlohmann::json rules_json(const rules_t& rules) {
  auto a = nlohmann::json::array();
  for (const auto& r : rules)
    a.push_back({{"source", r.source}, {"destination", r.destination}});
  return a;
}

} // namespace

void registry_state::mappings(registry_actor::stateful_pointer<registry_state> self,
                              const persistence::admin_row& who, const std::string& directory_id,
                              admin_call& call, admin_promise rp) {
  auto n = call.path.size();
  if (n == 3 && call.method == "GET") {
    return admin::run_read(ctx, self, rp, [directory_id](persistence::reader& db) {
      auto row = db.directory(directory_id);
      if (!row || row->state == "deleted")
        return error(404, "no such directory");
      return admin_reply{200, mappings_json(*row, db.custom_attributes())};
    });
  }
  if (!admin::may_write(who.role))
    return admin::reply(rp, error(403, "the role " + who.role + " may not change mappings"));
  // The change runs on the stored row inside the writer's transaction, so
  // concurrent admin edits of one directory cannot lose each other's work.
  using change_fn = std::function<admin_reply(persistence::writer&, rules_t&, nlohmann::json&)>;
  change_fn change;
  std::string action;
  int success = 200;
  if (n == 3 && call.method == "POST") {
    const auto& body = call.body;
    if (!body.is_object())
      return admin::reply(rp, error(400, "the body must be a JSON object"));
    if (body.contains("select_all")) {
      if (body.size() != 1 || !body["select_all"].is_boolean() || !body["select_all"].get<bool>())
        return admin::reply(rp, error(400, "expected {\"select_all\": true}"));
      // Select all: every catalog attribute not yet mapped, to its suggested
      // destination when that is free (D3).
      action = "directory.mapping.select_all";
      change = [](persistence::writer&, rules_t& rules, nlohmann::json& details) {
        auto skipped = nlohmann::json::array();
        rules_t added;
        for (const auto& e : mapping::catalog()) {
          if (by_source(rules, e.source) != nullptr)
            continue;
          if (const auto* other = by_destination(rules, e.suggested)) {
            skipped.push_back({{"source", e.source}, {"reason", "destination used by " + other->source}});
            continue;
          }
          rules.push_back({e.source, e.suggested});
          added.push_back(rules.back());
        }
        details = {{"added", rules_json(added)}, {"skipped", std::move(skipped)}};
        return admin_reply{200, nullptr};
      };
    } else {
      auto items = body.contains("mappings") ? body["mappings"] : nlohmann::json::array({body});
      if (!items.is_array() || items.empty() || (body.contains("mappings") && body.size() != 1))
        return admin::reply(rp, error(400, "expected {\"source\", \"destination\"}, {\"mappings\": [...]} or "
                                     "{\"select_all\": true}"));
      rules_t wanted;
      for (const auto& item : items) {
        mapping::rule r;
        if (auto problem = resolve(item, r); !problem.empty())
          return admin::reply(rp, error(400, problem));
        wanted.push_back(std::move(r));
      }
      action = "directory.mapping.add";
      success = 201;
      change = [wanted](persistence::writer&, rules_t& rules, nlohmann::json& details) {
        details = {{"added", rules_json(wanted)}};
        return add_rules(rules, wanted);
      };
    }
  } else if (n == 4 && (call.method == "PATCH" || call.method == "DELETE")) {
    const auto* e = mapping::find_source(call.path[3]);
    if (e == nullptr)
      return admin::reply(rp, mapping::is_required_source(call.path[3])
                          ? error(409, "the mapping of " + call.path[3] + " is required and cannot be changed")
                          : error(404, "no mapping of " + call.path[3]));
    auto source = e->source;
    if (call.method == "DELETE") {
      action = "directory.mapping.delete";
      change = [source](persistence::writer&, rules_t& rules, nlohmann::json& details) {
        auto i = std::find_if(rules.begin(), rules.end(), [&](const auto& r) { return r.source == source; });
        if (i == rules.end())
          return error(404, "no mapping of " + source);
        details = {{"source", source}, {"destination", i->destination}};
        rules.erase(i);
        return admin_reply{200, nullptr};
      };
    } else {
      if (!call.body.is_object() || call.body.size() != 1 || !call.body.contains("destination"))
        return admin::reply(rp, error(400, "expected {\"destination\": string}"));
      mapping::rule wanted;
      if (auto problem = resolve({{"source", source}, {"destination", call.body["destination"]}}, wanted);
          !problem.empty())
        return admin::reply(rp, error(400, problem));
      action = "directory.mapping.change";
      change = [wanted](persistence::writer&, rules_t& rules, nlohmann::json& details) {
        auto i = std::find_if(rules.begin(), rules.end(), [&](const auto& r) { return r.source == wanted.source; });
        if (i == rules.end())
          return error(404, "no mapping of " + wanted.source);
        details = {{"source", wanted.source}, {"old", i->destination}, {"new", wanted.destination}};
        auto rest = rules;
        rest.erase(rest.begin() + (i - rules.begin()));
        if (const auto* other = by_destination(rest, wanted.destination))
          return error(409, "the destination " + wanted.destination + " is already used by the mapping of "
                              + other->source);
        i->destination = wanted.destination;
        return admin_reply{200, nullptr};
      };
    }
  } else {
    return admin::reply(rp, n <= 4 ? error(405, "method not allowed") : error(404, "no such endpoint"));
  }
  auto at = ctx->now_text();
  auto stored = std::make_shared<std::optional<persistence::directory_row>>();
  auto custom = std::make_shared<std::vector<persistence::custom_attribute_row>>();
  auto answer = std::make_shared<admin_reply>();
  auto job = write_job{[directory_id, change, action, at, who, stored, custom, answer,
                        success](persistence::writer& db) -> scim::expected<scim::unit> {
    auto row = db.directory(directory_id);
    if (!row || row->state == "deleted") {
      *answer = error(404, "no such directory");
      return scim::make_error(scim::error_code::not_found, "no such directory");
    }
    nlohmann::json details;
    auto verdict = change(db, row->mappings, details);
    if (verdict.status >= 400) {
      *answer = verdict;
      return scim::make_error(scim::error_code::conflict, "refused");
    }
    if (auto ok = settle_custom(db, row->mappings, at, who.id); !ok)
      return ok;
    if (auto ok = db.set_directory_mappings(row->id, row->mappings); !ok)
      return ok;
    if (auto ok = db.append_action(at, "admin", who.id, action, "directory", row->id, details.dump(), "ok"); !ok)
      return ok;
    *stored = row;
    *answer = admin_reply{success, details};
    return scim::unit{};
  }};
  self->request(ctx->writer, caf::infinite, std::move(job))
    .then(
      [self, rp, stored, answer](write_ack& ack) mutable {
        if (ack.error) {
          rp.deliver(answer->status >= 400 ? *answer : admin::from_error(*ack.error));
          return;
        }
        // D12: the directory actor applies the new mapping from its next push.
        auto row = **stored;
        self->state.upsert(self, row);
        auto body = answer->body;
        body["mappings"] = nlohmann::json::array();
        for (const auto& r : row.mappings)
          body["mappings"].push_back(rule_json(r));
        rp.deliver(admin_reply{answer->status, std::move(body)});
      },
      [rp](caf::error&) mutable { rp.deliver(error(500, "internal error")); });
}

namespace admin {

void handle_custom_attributes(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call,
                              promise rp, self_ptr self) {
  auto n = call.path.size();
  if (n == 1 && call.method == "GET") {
    return run_read(ctx, self, rp, [](persistence::reader& db) {
      auto list = nlohmann::json::array();
      for (const auto& c : db.custom_attributes())
        list.push_back({{"name", c.name}, {"created", c.created}});
      return admin_reply{200, nlohmann::json{{"custom_attributes", std::move(list)}}};
    });
  }
  auto at = ctx->now_text();
  if (n == 1 && call.method == "POST") {
    admin_reply bad;
    if (!string_fields(call.body, {"name"}, bad))
      return reply(rp, bad);
    auto name = str(call.body, "name");
    if (auto problem = mapping::destination_problem(std::string{mapping::custom_prefix} + name); !problem.empty())
      return reply(rp, error(400, problem));
    return run_write(ctx, self, rp, [name, at, who](persistence::writer& db) {
      if (auto ok = db.insert_custom_attribute({name, at}); !ok)
        return ok.err().code == scim::error_code::uniqueness ? error(409, "a custom attribute of that name exists")
                                                             : from_error(ok.err());
      if (auto ok = db.append_action(at, "admin", who.id, "custom_attribute.create", "custom_attribute", name,
                                     nlohmann::json{{"name", name}}.dump(), "ok");
          !ok)
        return from_error(ok.err());
      return admin_reply{201, nlohmann::json{{"name", name}, {"created", at}}};
    });
  }
  if (n == 2 && call.method == "DELETE") {
    return run_write(ctx, self, rp, [name = call.path[1], at, who](persistence::writer& db) {
      if (auto ok = db.delete_custom_attribute(name); !ok)
        return from_error(ok.err());
      if (auto ok = db.append_action(at, "admin", who.id, "custom_attribute.delete", "custom_attribute", name,
                                     "{}", "ok");
          !ok)
        return from_error(ok.err());
      return admin_reply{204, nullptr};
    });
  }
  reply(rp, n <= 2 ? error(405, "method not allowed") : error(404, "no such endpoint"));
}

} // namespace admin

} // namespace dirsync::actors
