#pragma once

#include <vector>

#include "core/embedded_file.hpp"

namespace oauth_manager::api {

using core::EmbeddedFile;

// src/api/openapi.json (generated at build time by cmake/embed_files.cmake).
const std::vector<EmbeddedFile>& embedded_openapi_files();

}  // namespace oauth_manager::api
