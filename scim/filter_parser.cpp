#include "scim/filter.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

// Recursive-descent parser for the RFC 7644 §3.4.2.2 filter grammar, and the
// PATCH path parser built on it. Errors are values; nlohmann::json is only
// used in its non-throwing mode.
namespace dirsync::scim {

namespace {

enum class tok { end, lparen, rparen, lbracket, rbracket, word, string };

struct token {
  tok kind = tok::end;
  std::string_view text; ///< Raw text; strings keep their quotes.
  std::size_t pos = 0;   ///< Offset in the filter, for error details.
};

bool is_delimiter(char c) {
  return c == '(' || c == ')' || c == '[' || c == ']' || c == '"' ||
         std::isspace(static_cast<unsigned char>(c));
}

bool is_path_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '$' || c == ':' ||
         c == '.';
}

std::optional<compare_op> op_from(std::string_view w) {
  static constexpr std::pair<std::string_view, compare_op> ops[] = {
      {"eq", compare_op::eq}, {"ne", compare_op::ne}, {"co", compare_op::co}, {"sw", compare_op::sw},
      {"ew", compare_op::ew}, {"gt", compare_op::gt}, {"ge", compare_op::ge}, {"lt", compare_op::lt},
      {"le", compare_op::le}, {"pr", compare_op::pr}};
  for (const auto& [name, op] : ops)
    if (iequals(w, name))
      return op;
  return std::nullopt;
}

template <class T>
filter_ptr node(T&& v) {
  return std::make_shared<const filter_node>(filter_node{std::forward<T>(v)});
}

class parser {
public:
  explicit parser(std::string_view text) : text_(text) {}

  expected<filter_ptr> run() {
    if (text_.size() > max_filter_length)
      return make_error(error_code::invalid_filter, "filter is longer than the allowed maximum");
    auto f = parse_or(false);
    if (!ok())
      return err_;
    if (peek().kind != tok::end) {
      fail(peek().pos, "unexpected text after the end of the filter");
      return err_;
    }
    return f;
  }

private:
  bool ok() const { return err_.detail.empty(); }

  filter_ptr fail(std::size_t pos, const std::string& what) {
    if (ok())
      err_ = make_error(error_code::invalid_filter, "invalid filter at position " + std::to_string(pos) + ": " + what);
    return nullptr;
  }

  token scan() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
    token t;
    t.pos = pos_;
    if (pos_ >= text_.size())
      return t;
    char c = text_[pos_];
    switch (c) {
      case '(': t.kind = tok::lparen; break;
      case ')': t.kind = tok::rparen; break;
      case '[': t.kind = tok::lbracket; break;
      case ']': t.kind = tok::rbracket; break;
      default: break;
    }
    if (t.kind != tok::end) {
      t.text = text_.substr(pos_++, 1);
      return t;
    }
    std::size_t start = pos_;
    if (c == '"') {
      // Find the closing quote, skipping escaped characters.
      ++pos_;
      while (pos_ < text_.size() && text_[pos_] != '"')
        pos_ += text_[pos_] == '\\' ? 2 : 1;
      if (pos_ >= text_.size()) {
        fail(start, "unterminated string");
        pos_ = text_.size();
        return token{};
      }
      ++pos_;
      t.kind = tok::string;
    } else {
      while (pos_ < text_.size() && !is_delimiter(text_[pos_]))
        ++pos_;
      t.kind = tok::word;
    }
    t.text = text_.substr(start, pos_ - start);
    return t;
  }

  const token& peek() {
    if (!peeked_) {
      ahead_ = scan();
      peeked_ = true;
    }
    return ahead_;
  }

  token next() {
    peek();
    peeked_ = false;
    return ahead_;
  }

  bool next_is_word(std::string_view w) { return peek().kind == tok::word && iequals(peek().text, w); }

  /// Chains of and/or become balanced trees so long IdP filters
  /// (`id eq "a" or id eq "b" or ...`) do not recurse deeply later.
  static filter_ptr balanced(std::vector<filter_ptr>& items, std::size_t lo, std::size_t hi, bool is_and) {
    if (hi - lo == 1)
      return items[lo];
    std::size_t mid = lo + (hi - lo) / 2;
    return node(filter_logical{is_and, balanced(items, lo, mid, is_and), balanced(items, mid, hi, is_and)});
  }

  filter_ptr parse_or(bool in_brackets) {
    std::vector<filter_ptr> items;
    do {
      if (!items.empty())
        next();
      items.push_back(parse_and(in_brackets));
      if (!ok())
        return nullptr;
    } while (next_is_word("or"));
    return balanced(items, 0, items.size(), false);
  }

  filter_ptr parse_and(bool in_brackets) {
    std::vector<filter_ptr> items;
    do {
      if (!items.empty())
        next();
      items.push_back(parse_unary(in_brackets));
      if (!ok())
        return nullptr;
    } while (next_is_word("and"));
    return balanced(items, 0, items.size(), true);
  }

  /// RFC 7644 writes `not (f)`; a bare `not attr op value` is accepted too.
  filter_ptr parse_unary(bool in_brackets) {
    if (!next_is_word("not"))
      return parse_atom(in_brackets);
    token t = next();
    if (++depth_ > max_filter_depth)
      return fail(t.pos, "filter nested too deeply");
    auto operand = parse_unary(in_brackets);
    --depth_;
    return ok() ? node(filter_not{operand}) : nullptr;
  }

  filter_ptr parse_atom(bool in_brackets) {
    token t = next();
    if (!ok())
      return nullptr;
    if (t.kind == tok::lparen) {
      if (++depth_ > max_filter_depth)
        return fail(t.pos, "filter nested too deeply");
      auto inner = parse_or(in_brackets);
      if (!ok())
        return nullptr;
      if (next().kind != tok::rparen)
        return fail(t.pos, "unbalanced parenthesis");
      --depth_;
      return inner;
    }
    if (t.kind == tok::end)
      return fail(t.pos, "expected an attribute path or '('");
    if (t.kind != tok::word || !valid_path(t.text))
      return fail(t.pos, "expected an attribute path");
    if (peek().kind == tok::lbracket)
      return parse_value_path(t, in_brackets);
    return parse_comparison(std::string{t.text}, t.pos);
  }

  static bool valid_path(std::string_view p) {
    if (p.empty() || !(std::isalpha(static_cast<unsigned char>(p[0])) || p[0] == '$'))
      return false;
    for (char c : p)
      if (!is_path_char(c))
        return false;
    return p.back() != '.' && p.back() != ':';
  }

  filter_ptr parse_comparison(std::string path, std::size_t path_pos) {
    token op_tok = next();
    if (!ok())
      return nullptr;
    auto op = op_tok.kind == tok::word ? op_from(op_tok.text) : std::nullopt;
    if (!op)
      return fail(op_tok.kind == tok::end ? path_pos : op_tok.pos, "expected an operator (eq ne co sw ew gt ge lt le pr)");
    if (++terms_ > max_filter_terms)
      return fail(op_tok.pos, "filter has too many comparisons");
    if (*op == compare_op::pr)
      return node(filter_compare{std::move(path), *op, nullptr});
    auto value = parse_literal();
    if (!ok())
      return nullptr;
    return node(filter_compare{std::move(path), *op, std::move(value)});
  }

  nlohmann::json parse_literal() {
    token t = next();
    if (!ok())
      return nullptr;
    if (t.kind == tok::string) {
      // Printable ASCII without escapes (an Okta userName) is its own value;
      // anything else is read by the JSON parser, which checks escapes and
      // UTF-8.
      auto inner = t.text.substr(1, t.text.size() - 2);
      if (std::all_of(inner.begin(), inner.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '\\'; }))
        return std::string{inner};
      auto j = nlohmann::json::parse(t.text.begin(), t.text.end(), nullptr, false);
      if (j.is_discarded() || !j.is_string())
        fail(t.pos, "invalid string literal (bad escape or control character)");
      return j;
    }
    if (t.kind == tok::word) {
      if (iequals(t.text, "true"))
        return true;
      if (iequals(t.text, "false"))
        return false;
      if (iequals(t.text, "null"))
        return nullptr;
      char c = t.text[0];
      if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
        auto j = nlohmann::json::parse(t.text.begin(), t.text.end(), nullptr, false);
        if (!j.is_discarded() && j.is_number())
          return j;
      }
    }
    fail(t.pos, "expected a value (string, number, true, false or null)");
    return nullptr;
  }

  /// `attr[valFilter]`, optionally followed by the Entra form `.sub op value`.
  filter_ptr parse_value_path(const token& path, bool in_brackets) {
    token open = next();
    if (in_brackets)
      return fail(open.pos, "value filters cannot be nested");
    if (++depth_ > max_filter_depth)
      return fail(open.pos, "filter nested too deeply");
    auto inner = parse_or(true);
    if (!ok())
      return nullptr;
    if (next().kind != tok::rbracket)
      return fail(open.pos, "unbalanced '['");
    --depth_;
    // `emails[type eq "work"].value eq "x"` == `emails[type eq "work" and value eq "x"]`.
    const token& after = peek();
    if (after.kind == tok::word && after.text[0] == '.' && text_[after.pos - 1] == ']') {
      token sub = next();
      std::string_view name = sub.text.substr(1);
      if (!valid_path(name) || name.find('.') != std::string_view::npos)
        return fail(sub.pos, "expected a sub-attribute name after ']'");
      auto cmp = parse_comparison(std::string{name}, sub.pos);
      if (!ok())
        return nullptr;
      inner = node(filter_logical{true, inner, cmp});
    }
    return node(filter_value_path{std::string{path.text}, inner});
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  token ahead_;
  bool peeked_ = false;
  int depth_ = 0;
  std::size_t terms_ = 0;
  error err_{error_code::invalid_filter, ""};
};

error path_error(std::string detail) { return make_error(error_code::invalid_path, std::move(detail)); }

} // namespace

expected<filter_ptr> parse_filter(std::string_view text) { return parser{text}.run(); }

expected<attr_path> parse_attr_path(std::string_view text, resource_kind kind) {
  if (text.empty() || text.size() > max_filter_length)
    return path_error("path is empty or too long");
  auto open = text.find('[');
  std::string_view head = text.substr(0, open);
  auto target = resolve(kind, head);
  if (!target)
    return path_error("unknown attribute in path '" + std::string{head} + "'");
  attr_path out{std::move(*target), nullptr, nullptr};
  if (open == std::string_view::npos)
    return out;

  const attribute& parent = *out.target.attr;
  if (out.target.sub || parent.type != attr_type::complex || !parent.multi_valued)
    return path_error("a value filter needs a multi-valued complex attribute, not '" + std::string{head} + "'");
  // The matching ']' is the first one outside a string literal.
  std::size_t close = open + 1;
  bool in_string = false;
  for (; close < text.size(); ++close) {
    char c = text[close];
    if (in_string && c == '\\')
      ++close;
    else if (c == '"')
      in_string = !in_string;
    else if (!in_string && c == ']')
      break;
  }
  if (close >= text.size())
    return path_error("unbalanced '[' in path");
  auto filter = parse_filter(text.substr(open + 1, close - open - 1));
  if (!filter)
    return path_error(filter.err().detail);
  if (auto valid = validate_element_filter(**filter, parent); !valid)
    return path_error(valid.err().detail);
  out.value_filter = std::move(*filter);

  std::string_view rest = text.substr(close + 1);
  if (rest.empty())
    return out;
  if (rest[0] != '.' || !(out.filter_sub = find_sub_attribute(parent, rest.substr(1))))
    return path_error("unknown sub-attribute after value filter in path");
  return out;
}

} // namespace dirsync::scim
