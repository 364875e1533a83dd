#include "internal/strategies.hpp"

namespace weave::detail {

bool PortfolioStrategy::BeginRun() {
  if (finished_.size() != members_.size()) finished_.assign(members_.size(), false);
  // Run i goes to member i mod m; a member that has finished (an exhaustive search) passes its
  // turn to the next.
  for (std::size_t tries = 0; tries < members_.size(); ++tries) {
    active_ = static_cast<std::size_t>(run_++ % members_.size());
    if (finished_[active_]) continue;
    if (members_[active_]->BeginRun()) return true;
    finished_[active_] = true;
  }
  return false;
}

}  // namespace weave::detail
