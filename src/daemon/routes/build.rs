//! The build route vnet answers: `POST /build/prune` (moby v28.2.2
//! `api/server/router/build/build_routes.go`, `postPrune`), which `docker system prune`
//! calls. vnet builds nothing, so there is no build cache to remove.

use crate::daemon::http::{self, Reply};

/// `POST /build/prune`: nothing deleted, nothing reclaimed.
pub(super) fn prune() -> Reply {
    http::json(
        200,
        &serde_json::json!({ "CachesDeleted": null, "SpaceReclaimed": 0 }),
    )
}
