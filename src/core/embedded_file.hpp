#pragma once

#include <string_view>

namespace oauth_manager::core {

// A file compiled into the binary by cmake/embed_files.cmake, so a deployment is one file.
struct EmbeddedFile {
  std::string_view name;
  std::string_view contents;
};

}  // namespace oauth_manager::core
