//! The image routes: inspect, prune (nothing to remove), and a pull that downloads nothing (an image only brings
//! defaults, see [`image`](crate::docker::image)).
//!
//! Mirrors moby v28.2.2 `api/server/router/image/image_routes.go` (`getImagesByName`,
//! `postImagesCreate`, `postImagesPrune`).

use crate::daemon::host::{self, Host};
use crate::daemon::http::{self, Query, Reply};
use crate::docker::Error;
use crate::store::Scope;
use hyper::header::{self, HeaderValue};
use serde_json::json;
use std::sync::Arc;

/// One `image.Summary`, in Go's field order; the list leaves `Containers` and `SharedSize`
/// -1 (not counted), `system df` counts them (`counted`: no layer is shared in vnet).
pub(super) fn summary_json(
    i: &crate::docker::images::ImageSummary,
    counted: bool,
) -> serde_json::Value {
    let (containers, shared) = if counted {
        (i.containers as i64, 0)
    } else {
        (-1, -1)
    };
    json!({
        "Containers": containers,
        "Created": i.created.unix_secs(),
        "Id": i.id,
        "Labels": if i.labels.is_empty() { serde_json::Value::Null } else { json!(i.labels) },
        "ParentId": "",
        "RepoDigests": [],
        "RepoTags": i.repo_tags,
        "SharedSize": shared,
        "Size": i.size,
    })
}

/// `GET /images/json` (moby's `getImagesJSON`): `filters`; `all` changes nothing (no
/// intermediate images).
pub(super) async fn list(host: &Arc<Host>, q: &Query) -> Result<Reply, Error> {
    let terms = q.filters()?;
    host::read_json_in(host, Scope::All, move |d| {
        let list = d.image_list(&terms)?;
        Ok(json!(
            list.iter()
                .map(|i| summary_json(i, false))
                .collect::<Vec<_>>()
        ))
    })
    .await
}

/// `GET /images/{name}/json`.
pub(super) async fn inspect(host: &Arc<Host>, name: String) -> Result<Reply, Error> {
    // An image is no object of the state: a name reads none; an ID is looked for among
    // the images the containers were made from too, so all are read.
    let hex = name.strip_prefix("sha256:").unwrap_or(&name);
    let scope = if hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Scope::All
    } else {
        Scope::of(&[], &[])
    };
    host::read_json_in(host, scope, move |d| {
        d.image_inspect(&name)
            .ok_or_else(|| Error::no_such_image(&crate::docker::image::familiar_tagged(&name)))
    })
    .await
}

/// `POST /images/create`: nothing is downloaded; for an image the host has, the progress
/// says it is up to date; any other needs a registry the simulated host cannot reach.
pub(super) async fn pull(host: &Arc<Host>, q: &Query) -> Result<Reply, Error> {
    let from = q.get("fromImage").unwrap_or_default().to_string();
    let tag = q
        .get("tag")
        .filter(|t| !t.is_empty())
        .unwrap_or("latest")
        .to_string();
    if from.is_empty() {
        return Err(Error::from_image_required());
    }
    // A tag may come inside fromImage (`lab/echo:v1`) with an empty `tag`; an untagged
    // name is `latest` to `Daemon::image`.
    let reference = match q.get("tag").filter(|t| !t.is_empty()) {
        Some(t) => format!("{from}:{t}"),
        None => from.clone(),
    };
    let registry = crate::docker::image::registry(&from).to_string();
    let known = host::read_in(host, Scope::of(&[], &[]), move |d| {
        Ok(serde_json::Value::Bool(d.image(&reference).is_some()))
    })
    .await?;
    if known != serde_json::Value::Bool(true) {
        return Err(Error::registry_unreachable(&registry));
    }
    let (from, tag) = (from.as_str(), tag.as_str());
    // `docker.io/library/busybox` pulls from `library/busybox` and is called `busybox`.
    let name = from.strip_prefix("docker.io/").unwrap_or(from);
    let short = name.strip_prefix("library/").unwrap_or(name);
    let path = if short.contains('/') {
        short.to_string()
    } else {
        format!("library/{short}")
    };
    let lines = [
        json!({"status": format!("Pulling from {path}"), "id": tag}),
        json!({"status": format!("Digest: sha256:{}", crate::rng::hex_id(0, &format!("image/{short}:{tag}")))}),
        json!({"status": format!("Status: Image is up to date for {short}:{tag}")}),
    ];
    let mut body = Vec::new();
    for l in lines {
        body.extend(l.to_string().into_bytes());
        body.extend_from_slice(b"\r\n");
    }
    let mut r = hyper::Response::new(http::full(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(r)
}

/// `POST /images/prune`: no image is dangling (the catalogue's and the made ones all have
/// their names) and none is removed with `dangling=false` either: every image vnet has is
/// one a container may be created from, and they take no space.
pub(super) fn prune(q: &Query) -> Result<Reply, Error> {
    for (k, _) in q.filters()? {
        if !matches!(k.as_str(), "dangling" | "label" | "label!" | "until") {
            return Err(Error::invalid_filter(&k));
        }
    }
    Ok(http::json(
        200,
        &serde_json::json!({ "ImagesDeleted": null, "SpaceReclaimed": 0 }),
    ))
}
