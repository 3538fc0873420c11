#include "config/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <mutex>
#include <stdexcept>

namespace dirsync::metrics {

namespace {

// C++17 has no atomic<double>::fetch_add; a CAS loop is lock-free on x86-64.
void atomic_add(std::atomic<double>& target, double by) noexcept {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + by, std::memory_order_relaxed)) {
  }
}

constexpr const char* type_names[] = {"counter", "gauge", "histogram"};

// HELP text escaping: backslash and newline only (exposition format 0.0.4).
std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

} // namespace

void counter::inc(double by) noexcept {
  if (by > 0)
    atomic_add(value_, by);
}
double counter::value() const noexcept { return value_.load(std::memory_order_relaxed); }

void gauge::set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
void gauge::inc(double by) noexcept { atomic_add(value_, by); }
void gauge::dec(double by) noexcept { atomic_add(value_, -by); }
double gauge::value() const noexcept { return value_.load(std::memory_order_relaxed); }

histogram::histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  bounds_.erase(std::remove_if(bounds_.begin(), bounds_.end(),
                               [](double b) { return !std::isfinite(b); }),
                bounds_.end());
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  hits_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
  for (std::size_t i = 0; i <= bounds_.size(); ++i)
    hits_[i].store(0, std::memory_order_relaxed);
}

void histogram::observe(double v) noexcept {
  // `le` is inclusive: the first bound >= v takes the observation.
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  hits_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    running += hits_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

double histogram::sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
std::uint64_t histogram::count() const noexcept { return count_.load(std::memory_order_relaxed); }

std::vector<double> default_latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
  return std::string(buf, res.ptr);
}

struct registry::series {
  std::vector<std::string> values;            // label values, family order
  std::unique_ptr<metrics::counter> c;        // set for counters
  std::unique_ptr<metrics::gauge> g;          // set for gauges
  std::unique_ptr<metrics::histogram> h;      // set for histograms
};

struct registry::family {
  std::string help;
  int type = 0;
  std::vector<std::string> label_names;
  std::vector<double> buckets;
  std::map<std::vector<std::string>, std::unique_ptr<series>> by_values;
};

registry::registry() = default;
registry::~registry() = default;

registry::series& registry::find_or_add(std::string_view name, std::string_view help, int type,
                                        const label_set& labels, std::vector<double> buckets) {
  std::vector<std::string> names, values;
  for (const auto& [k, v] : labels) {
    names.push_back(k);
    values.push_back(v);
  }
  auto check = [&](const family& f) {
    if (f.type != type || f.label_names != names)
      throw std::logic_error("metric '" + std::string(name) +
                             "' re-registered with another type or label names");
  };
  // Fast path: an existing series only needs the shared lock.
  {
    std::shared_lock lock(mutex_);
    if (auto f = families_.find(name); f != families_.end()) {
      check(*f->second);
      if (auto s = f->second->by_values.find(values); s != f->second->by_values.end())
        return *s->second;
    }
  }
  std::unique_lock lock(mutex_);
  auto f = families_.find(name);
  if (f == families_.end()) {
    auto fam = std::make_unique<family>();
    fam->help = std::string(help);
    fam->type = type;
    fam->label_names = names;
    fam->buckets = std::move(buckets);
    f = families_.emplace(std::string(name), std::move(fam)).first;
  }
  check(*f->second);
  auto& slot = f->second->by_values[values];
  if (!slot) {
    slot = std::make_unique<series>();
    slot->values = values;
    if (type == 0)
      slot->c = std::make_unique<metrics::counter>();
    else if (type == 1)
      slot->g = std::make_unique<metrics::gauge>();
    else
      slot->h = std::make_unique<metrics::histogram>(f->second->buckets);
  }
  return *slot;
}

metrics::counter& registry::counter(std::string_view name, std::string_view help,
                                    const label_set& labels) {
  return *find_or_add(name, help, 0, labels, {}).c;
}

metrics::gauge& registry::gauge(std::string_view name, std::string_view help,
                                const label_set& labels) {
  return *find_or_add(name, help, 1, labels, {}).g;
}

metrics::histogram& registry::histogram(std::string_view name, std::string_view help,
                                        const label_set& labels, std::vector<double> buckets) {
  return *find_or_add(name, help, 2, labels, std::move(buckets)).h;
}

std::string registry::render() const {
  // `{a="x",b="y"}` plus an optional trailing `le`; empty when no labels at all.
  auto label_text = [](const family& f, const series& s, const std::string* le) {
    std::string out;
    for (std::size_t i = 0; i < f.label_names.size(); ++i) {
      out += out.empty() ? "{" : ",";
      out += f.label_names[i] + "=\"" + escape_label_value(s.values[i]) + "\"";
    }
    if (le)
      out += (out.empty() ? "{" : ",") + std::string("le=\"") + *le + "\"";
    if (!out.empty())
      out += "}";
    return out;
  };

  std::shared_lock lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + escape_help(f->help) + "\n";
    out += "# TYPE " + name + " " + type_names[f->type] + "\n";
    for (const auto& [values, s] : f->by_values) {
      if (s->c) {
        out += name + label_text(*f, *s, nullptr) + " " + format_value(s->c->value()) + "\n";
      } else if (s->g) {
        out += name + label_text(*f, *s, nullptr) + " " + format_value(s->g->value()) + "\n";
      } else {
        const auto& bounds = s->h->upper_bounds();
        auto counts = s->h->cumulative_counts();
        for (std::size_t i = 0; i < counts.size(); ++i) {
          std::string le = i < bounds.size() ? format_value(bounds[i]) : "+Inf";
          out += name + "_bucket" + label_text(*f, *s, &le) + " " + std::to_string(counts[i]) + "\n";
        }
        out += name + "_sum" + label_text(*f, *s, nullptr) + " " + format_value(s->h->sum()) + "\n";
        out += name + "_count" + label_text(*f, *s, nullptr) + " " + std::to_string(counts.back()) + "\n";
      }
    }
  }
  return out;
}

} // namespace dirsync::metrics
