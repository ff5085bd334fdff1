#pragma once

#include <string_view>
#include <vector>

namespace oauth_manager::providers {

// A providers/<id>.toml file compiled into the binary.
struct EmbeddedFile {
  std::string_view name;
  std::string_view contents;
};

// Every catalog file, ordered by name (generated at build time by cmake/embed_files.cmake).
const std::vector<EmbeddedFile>& embedded_catalog_files();

}  // namespace oauth_manager::providers
