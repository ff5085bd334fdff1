#pragma once

namespace oauth_manager::cli {

// Parses the command line and runs the chosen subcommand; returns the process exit code.
int run(int argc, char** argv);

}  // namespace oauth_manager::cli
