#pragma once

#include <string>

#include "core/random_source.hpp"

namespace oauth_manager::core {

// A random RFC 9562 version 4 UUID in its canonical lowercase form.
std::string new_id(RandomSource& random);

}  // namespace oauth_manager::core
