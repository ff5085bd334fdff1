#pragma once

#include <filesystem>

namespace oauth_manager::testing {

// A fresh directory removed with everything in it when the object goes away.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `contents` to `file` with the given permissions.
void write_file(const std::filesystem::path& file, const std::string& contents,
                std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                               std::filesystem::perms::owner_write);
std::string read_file(const std::filesystem::path& file);

}  // namespace oauth_manager::testing
