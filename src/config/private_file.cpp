#include "config/config_builder.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace oauth_manager::config {

std::optional<std::string> read_file_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  if (!in) return std::nullopt;
  return contents.str();
}

// A file holding a secret: it must exist and must not be readable by every user.
std::optional<std::string> ConfigBuilder::read_private_file(const std::string& key,
                                                            const std::string& path,
                                                            std::string_view hint) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    problem(key, fmt::format("cannot read \"{}\"; {}", path, hint));
    return std::nullopt;
  }
  if ((info.st_mode & S_IROTH) != 0) {
    problem(key, fmt::format("\"{}\" is readable by every user; run `chmod 600 {}`", path, path));
    return std::nullopt;
  }
  auto contents = read_file_text(path);
  if (!contents) problem(key, fmt::format("cannot read \"{}\"; {}", path, hint));
  return contents;
}

std::string trim_trailing_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace oauth_manager::config
