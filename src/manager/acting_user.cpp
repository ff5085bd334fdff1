#include "manager/acting_user.hpp"

namespace oauth_manager::manager {

core::Result<std::string> resolve_user(const core::Caller& caller,
                                       const std::optional<std::string>& requested) {
  if (!requested) return caller.subject;
  if (!caller.may_act_for(*requested)) {
    return core::make_error(core::Code::not_found, "no such user");
  }
  return *requested;
}

}  // namespace oauth_manager::manager
