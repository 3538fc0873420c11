// PatchOp parsing and the per-operation dispatch; attribute edits live in
// patch_paths.cpp, group members become a row delta here (S4, G1).
#include "scim/patch.hpp"

#include <set>

#include "scim/resource.hpp"

namespace dirsync::scim {

namespace {

using json = nlohmann::json;

const json* find_key(const json& obj, std::string_view key) {
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (iequals(it.key(), key))
      return &*it;
  return nullptr;
}

// Member rows touched by the request, netted in order.
struct member_state {
  std::set<std::string> add;
  std::set<std::string> remove;
  bool replace_all = false;

  void add_id(const std::string& id) {
    remove.erase(id);
    add.insert(id);
  }
  void remove_id(const std::string& id) {
    add.erase(id);
    if (!replace_all)
      remove.insert(id);
  }
  void clear() {
    replace_all = true;
    add.clear();
    remove.clear();
  }
};

// `value eq "a" or value eq "b"` -> {a, b}; any other member filter is refused.
expected<unit> member_ids_of(const filter_node& f, std::vector<std::string>& out) {
  if (auto c = std::get_if<filter_compare>(&f.v)) {
    bool on_value = iequals(c->path, "value") || iequals(c->path, "members.value");
    if (on_value && c->op == compare_op::eq && c->value.is_string()) {
      out.push_back(c->value.get<std::string>());
      return unit{};
    }
  } else if (auto l = std::get_if<filter_logical>(&f.v); l && !l->is_and) {
    if (auto r = member_ids_of(*l->lhs, out); !r)
      return r;
    return member_ids_of(*l->rhs, out);
  }
  return make_error(error_code::invalid_filter,
                    "A members filter may only compare \"value\" with eq, joined by or");
}

class patcher {
public:
  patcher(resource_kind kind, json res) : kind_(kind), res_(std::move(res)) {}

  expected<unit> apply(const patch_operation& op) {
    if (!op.path.empty())
      return apply_path(op.op, op.path, op.value);
    if (!op.value.is_object())
      return make_error(error_code::invalid_value,
                        "An operation without \"path\" needs an object of attributes as \"value\"");
    for (const auto& [key, v] : op.value.items())
      if (auto r = apply_key(op.op, key, v); !r)
        return r;
    return unit{};
  }

  json& resource() { return res_; }
  /// Top-level keys the operations may have changed (an extension's is its URN).
  const std::set<std::string>& touched() const { return touched_; }

  member_delta delta() const {
    return member_delta{{members_.add.begin(), members_.add.end()},
                        {members_.remove.begin(), members_.remove.end()},
                        members_.replace_all};
  }

private:
  bool is_members(const attribute& a) const {
    return kind_ == resource_kind::group && iequals(a.name, "members");
  }

  const schema* ext_of(const resolved_attr& r) const {
    return r.owner && r.owner != &core_schema(kind_) ? r.owner : nullptr;
  }

  // One key of a path-less value object: unknown, readOnly and never-stored
  // attributes are skipped (Okta sends "id" with every group rename).
  expected<unit> apply_key(patch_kind op, const std::string& key, const json& v) {
    if (iequals(key, "schemas"))
      return unit{};
    if (const schema* ext = extension_schema(kind_, key)) {
      if (v.is_null())
        return unit{};
      if (!v.is_object())
        return make_error(error_code::invalid_value, "'" + ext->id + "' must be an object");
      for (const auto& [sk, sv] : v.items())
        if (auto r = apply_key(op, ext->id + ":" + sk, sv); !r)
          return r;
      return unit{};
    }
    auto r = resolve(kind_, key);
    if (!r || !r->attr || r->attr->ret == returned::never)
      return unit{};
    if (r->attr->mut == mutability::read_only || (r->sub && r->sub->mut == mutability::read_only))
      return unit{};
    if (is_members(*r->attr))
      return r->sub ? expected<unit>(unit{}) : members_op(op, nullptr, v);
    return change({r->attr, ext_of(*r), r->sub, nullptr}, op, v);
  }

  expected<unit> apply_path(patch_kind op, const std::string& path, const json& v) {
    if (const schema* ext = extension_schema(kind_, path)) {
      if (op == patch_kind::remove) {
        touched_.insert(ext->id);
        res_.erase(ext->id);
        return unit{};
      }
      return apply_key(op, ext->id, v);
    }
    if (auto r = resolve(kind_, path); r && r->attr && r->attr->ret == returned::never)
      return unit{}; // password: accepted and dropped (U5)
    auto parsed = parse_attr_path(path, kind_);
    if (!parsed)
      return parsed.err();
    const resolved_attr& t = parsed->target;
    const attribute* sub = t.sub ? t.sub : parsed->filter_sub;
    if (t.attr->mut == mutability::read_only || (sub && sub->mut == mutability::read_only))
      return make_error(error_code::mutability, "Attribute '" + t.canonical + "' is readOnly");
    if (is_members(*t.attr)) {
      if (sub)
        return make_error(error_code::mutability,
                          "Member sub-attributes cannot be changed; add or remove the member");
      return members_op(op, parsed->value_filter.get(), v);
    }
    if (parsed->value_filter && !t.attr->multi_valued)
      return make_error(error_code::invalid_path,
                        "A value filter needs a multi-valued attribute: '" + t.canonical + "'");
    return change({t.attr, ext_of(t), sub, parsed->value_filter}, op, v);
  }

  expected<unit> change(const detail::patch_target& t, patch_kind op, const json& v) {
    touched_.insert(t.ext ? t.ext->id : t.attr->name);
    return detail::apply_to_attribute(op, res_, t, v);
  }

  expected<unit> members_op(patch_kind op, const filter_node* filter, const json& v) {
    std::vector<std::string> matched;
    if (filter) {
      if (op == patch_kind::add)
        return make_error(error_code::invalid_path, "\"add\" cannot use a value filter on members");
      if (auto r = member_ids_of(*filter, matched); !r)
        return r;
      for (const auto& id : matched)
        members_.remove_id(id);
      if (op == patch_kind::remove)
        return unit{};
    } else if (op == patch_kind::replace || (op == patch_kind::remove && v.is_null())) {
      members_.clear(); // replace the whole list, or remove all members
    }
    auto list = parse_members(v);
    if (!list)
      return list.err();
    if (!list->has_value())
      return unit{};
    for (const auto& m : **list) {
      if (op == patch_kind::remove)
        members_.remove_id(m.value); // Entra: Remove with a value list removes only those
      else
        members_.add_id(m.value);
    }
    return unit{};
  }

  resource_kind kind_;
  json res_;
  member_state members_;
  std::set<std::string> touched_;
};

expected<patch_kind> parse_op(const json& op) {
  if (op.is_string()) {
    const auto& s = op.get_ref<const std::string&>();
    if (iequals(s, "add"))
      return patch_kind::add;
    if (iequals(s, "remove"))
      return patch_kind::remove;
    if (iequals(s, "replace"))
      return patch_kind::replace;
  }
  return make_error(error_code::invalid_syntax, "\"op\" must be one of add, remove, replace");
}

} // namespace

expected<std::vector<patch_operation>> parse_patch(const json& body) {
  if (!body.is_object())
    return make_error(error_code::invalid_syntax, "The PATCH body must be a JSON object");
  const json* schemas = find_key(body, "schemas");
  bool has_urn = false;
  if (schemas && schemas->is_array())
    for (const auto& s : *schemas)
      has_urn = has_urn || (s.is_string() && iequals(s.get_ref<const std::string&>(), patch_op_urn));
  if (!has_urn)
    return make_error(error_code::invalid_syntax,
                      "\"schemas\" must contain " + std::string(patch_op_urn));
  const json* ops = find_key(body, "Operations");
  if (!ops || !ops->is_array() || ops->empty())
    return make_error(error_code::invalid_syntax, "\"Operations\" must be a non-empty array");
  std::vector<patch_operation> out;
  out.reserve(ops->size());
  for (const auto& o : *ops) {
    if (!o.is_object())
      return make_error(error_code::invalid_syntax, "Each operation must be a JSON object");
    const json* op = find_key(o, "op");
    auto kind = parse_op(op ? *op : json());
    if (!kind)
      return kind.err();
    patch_operation p;
    p.op = kind.value();
    if (const json* path = find_key(o, "path"); path && !path->is_null()) {
      if (!path->is_string())
        return make_error(error_code::invalid_path, "\"path\" must be a string");
      p.path = path->get<std::string>();
    }
    const json* value = find_key(o, "value");
    if (value)
      p.value = *value;
    if (p.op == patch_kind::remove && p.path.empty())
      return make_error(error_code::no_target, "\"remove\" needs a \"path\"");
    if (p.op != patch_kind::remove && !value)
      return make_error(error_code::invalid_syntax, "\"add\" and \"replace\" need a \"value\"");
    out.push_back(std::move(p));
  }
  return out;
}

expected<patch_result> apply_patch(resource_kind kind, const json& stored,
                                   const std::vector<patch_operation>& ops, bool stored_canonical) {
  patcher p(kind, stored.is_object() ? stored : json::object());
  for (const auto& op : ops)
    if (auto r = p.apply(op); !r)
      return r.err();
  // A stored form known canonical needs only what the operations touched
  // validated again (about 15k instructions of a PATCH otherwise).
  auto validated = stored_canonical ? validate_touched(kind, std::move(p.resource()), p.touched())
                                    : validate_stored(kind, std::move(p.resource()));
  if (!validated)
    return validated.err();
  patch_result out;
  out.members = p.delta();
  bool same = stored == validated.value();
  if (!same && !stored_canonical) {
    // A row written by older code may differ from its canonical form only.
    auto before = validate_stored(kind, stored);
    same = before && before.value() == validated.value();
  }
  out.changed = !same || !out.members.empty();
  out.resource = std::move(validated.value());
  return out;
}

} // namespace dirsync::scim
