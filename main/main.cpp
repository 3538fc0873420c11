// dirsyncd: the SCIM directory-sync daemon (O1). Subcommands: serve,
// print-config, create-owner, backup, config-reference.
#include <iostream>

#include <CLI/CLI.hpp>

#include "config/loader.hpp"
#include "main/commands.hpp"

namespace {

// Loads the settings or prints every problem and returns nullopt.
std::optional<dirsync::config::loaded> load(const std::string& file, const dirsync::config::flag_values& flags) {
  auto result = dirsync::config::load_from_process(file, flags);
  if (auto* problems = std::get_if<std::vector<std::string>>(&result)) {
    std::cerr << "dirsyncd: invalid configuration:\n";
    for (const auto& p : *problems)
      std::cerr << "  - " << p << "\n";
    return std::nullopt;
  }
  return std::get<dirsync::config::loaded>(std::move(result));
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"dirsyncd: inbound SCIM 2.0 directory sync"};
  app.require_subcommand(1);
  std::string serve_file, print_file, owner_file, owner_name, owner_email;
  dirsync::config::flag_values serve_flags, print_flags, owner_flags;
  auto* serve = app.add_subcommand("serve", "Run the service");
  dirsync::config::add_flags(*serve, serve_file, serve_flags);
  auto* print = app.add_subcommand("print-config", "Show every effective setting and where it came from");
  dirsync::config::add_flags(*print, print_file, print_flags);
  auto* owner = app.add_subcommand("create-owner", "Create an Owner admin and print its API key");
  owner->add_option("--name", owner_name, "The new Owner's name")->required();
  owner->add_option("--email", owner_email, "Where token-expiry warnings reach the Owner (D8)");
  dirsync::config::add_flags(*owner, owner_file, owner_flags);
  std::string backup_file, backup_target;
  dirsync::config::flag_values backup_flags;
  auto* backup = app.add_subcommand("backup", "Copy the database consistently while the service runs");
  backup->add_option("path", backup_target, "Where to write the copy")->required();
  dirsync::config::add_flags(*backup, backup_file, backup_flags);
  auto* reference = app.add_subcommand("config-reference", "Print the table of every config key (Markdown)");
  CLI11_PARSE(app, argc, argv);

  if (reference->parsed()) {
    std::cout << dirsync::config::markdown_table();
    return 0;
  }

  if (serve->parsed()) {
    auto cfg = load(serve_file, serve_flags);
    return cfg ? dirsync::cli::serve(*cfg) : 2;
  }
  if (backup->parsed()) {
    auto cfg = load(backup_file, backup_flags);
    return cfg ? dirsync::cli::backup(*cfg, backup_target) : 2;
  }
  if (print->parsed()) {
    auto cfg = load(print_file, print_flags);
    if (!cfg)
      return 2;
    std::cout << dirsync::config::render_effective(*cfg);
    return 0;
  }
  auto cfg = load(owner_file, owner_flags);
  return cfg ? dirsync::cli::create_owner(*cfg, owner_name, owner_email) : 2;
}
