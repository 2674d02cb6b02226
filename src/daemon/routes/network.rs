//! The network routes: list, inspect, create, connect, disconnect, delete, prune.
//!
//! Mirrors moby v28.2.2 `api/server/router/network/network_routes.go` (`getNetworksList`,
//! `getNetwork`, `postNetworkCreate`, `postNetworkConnect`, `postNetworkDisconnect`,
//! `deleteNetwork`, `postNetworksPrune`).

use crate::daemon::api;
use crate::daemon::host::{self, Host};
use crate::daemon::http::{self, Query, Reply};
use crate::docker::Error;
use crate::docker::network::NetworkFilters;
use crate::store::Scope;
use serde_json::{Value, json};
use std::sync::Arc;

/// `GET /networks`.
pub(super) async fn list(host: &Arc<Host>, q: &Query) -> Result<Reply, Error> {
    let terms = q.filters()?;
    let scope = if terms.iter().any(|(k, _)| k == "dangling") {
        Scope::All
    } else {
        Scope::Part(crate::store::Want {
            networks_only: true,
            ..Default::default()
        })
    };
    host::read_json_in(host, scope, move |d| {
        let filters = NetworkFilters {
            terms: terms.clone(),
        };
        let nets = d.network_list(&filters)?;
        // The list leaves `Containers` empty (moby fills it only for inspect).
        let list: Vec<Value> = nets
            .into_iter()
            .map(|n| {
                let mut v = d.network_inspect(n);
                if let Some(o) = v.as_object_mut() {
                    o.insert("Containers".into(), json!({}));
                }
                v
            })
            .collect();
        Ok(Value::Array(list))
    })
    .await
}

/// `GET /networks/{id}`.
pub(super) async fn inspect(host: &Arc<Host>, term: String) -> Result<Reply, Error> {
    host::read_json_in(
        host,
        Scope::of(&[], std::slice::from_ref(&term)),
        move |d| {
            let id = d.find_network(&term)?;
            Ok(d.network_inspect(d.network(&id)?))
        },
    )
    .await
}

/// `POST /networks/create`.
pub(super) async fn create(host: &Arc<Host>, body: &[u8]) -> Result<Reply, Error> {
    let req = http::decode::<api::NetworkCreate>(body)?.into_request();
    // A new network meets every other one's name, bridge and subnets, never their endpoints.
    let scope = Scope::Part(crate::store::Want {
        networks_only: true,
        networks: vec![req.name.clone()],
        ..Default::default()
    });
    host::write_json_in(host, scope, 201, move |d| {
        let id = d.network_create(req.clone())?;
        Ok(json!({ "Id": id, "Warning": "" }))
    })
    .await
}

/// `DELETE /networks/{id}`.
pub(super) async fn remove(host: &Arc<Host>, term: String) -> Result<Reply, Error> {
    let scope = Scope::of(&[], std::slice::from_ref(&term));
    host::write_in(host, scope, move |d| d.network_remove(&term)).await?;
    Ok(http::status(204))
}

/// `POST /networks/prune`: only the `label` filters (moby's `until` is not served yet).
pub(super) async fn prune(host: &Arc<Host>, q: &Query) -> Result<Reply, Error> {
    let mut labels = Vec::new();
    for (k, v) in q.filters()? {
        match k.as_str() {
            "label" | "label!" => labels.push((k, v)),
            "until" => {
                return Err(Error::prune_until_unsupported("network prune"));
            }
            _ => {
                return Err(Error::invalid_filter(&k));
            }
        }
    }
    host::write_json(host, 200, move |d| {
        let names = d.network_prune(&labels)?;
        let deleted = if names.is_empty() {
            Value::Null
        } else {
            json!(names)
        };
        Ok(json!({ "NetworksDeleted": deleted }))
    })
    .await
}

/// `POST /networks/{id}/connect`.
pub(super) async fn connect(host: &Arc<Host>, net: String, body: &[u8]) -> Result<Reply, Error> {
    let req = http::decode::<api::NetworkConnect>(body)?;
    let container = req.container.unwrap_or_default();
    let settings = req.endpoint_config.unwrap_or_default().into_settings();
    let mut containers = vec![container.clone()];
    for l in &settings.links {
        let target = l.split(':').next().unwrap_or_default();
        containers.push(target.trim_start_matches('/').to_string());
    }
    let scope = Scope::of(&containers, std::slice::from_ref(&net));
    host::write_in(host, scope, move |d| {
        d.network_connect(&net, &container, settings.clone())
    })
    .await?;
    Ok(http::status(200))
}

/// `POST /networks/{id}/disconnect`.
pub(super) async fn disconnect(host: &Arc<Host>, net: String, body: &[u8]) -> Result<Reply, Error> {
    let req = http::decode::<api::NetworkDisconnect>(body)?;
    let container = req.container.unwrap_or_default();
    let force = req.force.unwrap_or(false);
    let scope = Scope::of(std::slice::from_ref(&container), std::slice::from_ref(&net));
    host::write_in(host, scope, move |d| {
        d.network_disconnect(&net, &container, force)
    })
    .await?;
    Ok(http::status(200))
}
