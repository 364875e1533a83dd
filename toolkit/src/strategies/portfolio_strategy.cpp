#include "internal/strategies.hpp"

namespace weave::detail {

bool PortfolioStrategy::BeginRun() {
  // Run i goes to member i mod m. The members are sampling strategies, which never run out.
  active_ = static_cast<std::size_t>(run_++ % members_.size());
  return members_[active_]->BeginRun();
}

}  // namespace weave::detail
