#pragma once

#include <vector>

#include "core/embedded_file.hpp"

namespace oauth_manager::web {

using core::EmbeddedFile;

// src/web/assets/* (generated at build time by cmake/embed_files.cmake).
const std::vector<EmbeddedFile>& embedded_web_assets();

}  // namespace oauth_manager::web
