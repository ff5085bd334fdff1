#pragma once

#include <vector>

#include "core/embedded_file.hpp"

namespace oauth_manager::providers {

using core::EmbeddedFile;

// Every catalog file, ordered by name (generated at build time by cmake/embed_files.cmake).
const std::vector<EmbeddedFile>& embedded_catalog_files();

}  // namespace oauth_manager::providers
