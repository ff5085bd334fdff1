#include "store/sql_connection.hpp"

#include <stdexcept>

namespace oauth_manager::store {
namespace {

[[noreturn]] void wrong_type(std::size_t column, const char* wanted) {
  // A programmer error: the statement and the code reading it disagree.
  throw std::logic_error("column " + std::to_string(column) + " is not " + wanted);
}

}  // namespace

bool SqlRow::is_null(std::size_t column) const {
  return std::holds_alternative<std::monostate>(values_.at(column));
}

std::int64_t SqlRow::integer(std::size_t column) const {
  const auto* value = std::get_if<std::int64_t>(&values_.at(column));
  if (value == nullptr) wrong_type(column, "an integer");
  return *value;
}

const std::string& SqlRow::text(std::size_t column) const {
  const auto* value = std::get_if<std::string>(&values_.at(column));
  if (value == nullptr) wrong_type(column, "text");
  return *value;
}

std::optional<std::string> SqlRow::optional_text(std::size_t column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::optional<std::int64_t> SqlRow::optional_integer(std::size_t column) const {
  if (is_null(column)) return std::nullopt;
  return integer(column);
}

}  // namespace oauth_manager::store
