#include "cli/cli.hpp"

int main(int argc, char** argv) { return oauth_manager::cli::run(argc, argv); }
