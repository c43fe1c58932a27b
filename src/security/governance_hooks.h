// security/governance_hooks.h: connects a security controller to the governance catalog:
// column and table tags for tag-bound policies, the governance statements (COMMENT ON, SET
// TAGS, ...) run after the controller's ownership check, and the catalog.* views filtered to
// what the principal may see. Every front end opening controllers calls it.
#pragma once

#include "core/status.h"
#include "security/access_controller.h"

namespace medlake::security {

// Fills options->tags, extensions and views from the lake at options->catalog_path.
Status WireGovernance(SecurityControllerOptions* options);

}  // namespace medlake::security
