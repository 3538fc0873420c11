#include "actors/admin_api.hpp"

#include <caf/all.hpp>

namespace dirsync::actors {

void handle_admin_api(const context_ptr&, const persistence::admin_row&, admin_call&,
                      caf::typed_response_promise<admin_reply> rp,
                      registry_actor::stateful_pointer<registry_state>) {
  rp.deliver(admin_reply{404, nlohmann::json{{"error", "no such endpoint"}, {"status", 404}}});
}

} // namespace dirsync::actors
