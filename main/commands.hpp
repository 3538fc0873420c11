#pragma once

#include <string>

#include "config/settings.hpp"

namespace dirsync::cli {

/// `dirsyncd serve`: runs until SIGTERM/SIGINT; returns the exit code.
int serve(const config::loaded& cfg);

/// `dirsyncd create-owner --name NAME`: creates an Owner admin and prints its
/// API key alone on the last line of stdout (A2).
int create_owner(const config::loaded& cfg, const std::string& name, const std::string& email = {});

/// `dirsyncd backup PATH`: a consistent copy of the database while serving.
int backup(const config::loaded& cfg, const std::string& target);

} // namespace dirsync::cli
