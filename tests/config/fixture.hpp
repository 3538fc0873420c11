#pragma once
// Shared helpers for the config tests: temp files and an injected environment.

#include "config/loader.hpp"
#include "config/options.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include <unistd.h>

namespace dirsync::config::test {

/// A fresh temp folder per test, removed afterwards; plus a fake environment.
struct fixture {
  std::filesystem::path dir;
  std::map<std::string, std::string> env;

  fixture() {
    static std::atomic<int> counter{0};
    dir = std::filesystem::temp_directory_path() /
          ("dirsync-config-test-" + std::to_string(::getpid()) + "-" +
           std::to_string(counter++));
    std::filesystem::create_directories(dir);
  }

  ~fixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  /// Writes `text` to `name` in the temp folder and returns its path.
  std::string write(const std::string& name, const std::string& text) {
    auto path = dir / name;
    std::ofstream{path} << text;
    return path.string();
  }

  env_lookup getenv() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end())
        return std::nullopt;
      return it->second;
    };
  }

  std::vector<std::string> env_names() const {
    std::vector<std::string> out;
    for (const auto& kv : env)
      out.push_back(kv.first);
    return out;
  }

  std::variant<loaded, std::vector<std::string>>
  run(const std::string& file = {}, const flag_values& flags = {}) const {
    return load(file, flags, getenv(), env_names());
  }

  /// Loads and requires success.
  loaded ok(const std::string& file = {}, const flag_values& flags = {}) const {
    auto r = run(file, flags);
    if (auto* problems = std::get_if<std::vector<std::string>>(&r)) {
      for (const auto& p : *problems)
        UNSCOPED_INFO(p);
      FAIL("load failed");
    }
    return std::get<loaded>(std::move(r));
  }

  /// Loads and requires failure; returns the problems.
  std::vector<std::string> fails(const std::string& file = {},
                                 const flag_values& flags = {}) const {
    auto r = run(file, flags);
    REQUIRE(std::holds_alternative<std::vector<std::string>>(r));
    return std::get<std::vector<std::string>>(std::move(r));
  }

  /// Loads a file made of `toml` and requires exactly one problem; returns it.
  std::string one_problem(const std::string& toml) {
    auto problems = fails(write("one.toml", toml));
    INFO(toml);
    for (const auto& p : problems)
      UNSCOPED_INFO(p);
    REQUIRE(problems.size() == 1);
    return problems.front();
  }
};

/// True if some problem contains `text`.
inline bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  for (const auto& p : problems)
    if (p.find(text) != std::string::npos)
      return true;
  return false;
}

} // namespace dirsync::config::test
