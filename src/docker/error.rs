//! Docker's errors, word for word.
//!
//! Each constructor is named after the moby error it mirrors and cites where the text comes
//! from (moby v28.5.2 unless noted). The [`Kind`] is the errdefs class moby attaches, which
//! decides the HTTP status a daemon would send; the CLI prints every daemon error as
//! `Error response from daemon: <message>`.

use std::fmt;

/// moby's `errdefs` classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 400: the request is malformed.
    InvalidParameter,
    /// 403: the request is understood but refused.
    Forbidden,
    /// 404: an object does not exist.
    NotFound,
    /// 409: a name or object is already taken.
    Conflict,
    /// 500: anything else.
    System,
}

impl Kind {
    /// The HTTP status moby's `httpstatus.FromError` gives this class.
    pub fn status(self) -> u16 {
        match self {
            Kind::InvalidParameter => 400,
            Kind::Forbidden => 403,
            Kind::NotFound => 404,
            Kind::Conflict => 409,
            Kind::System => 500,
        }
    }
}

/// An error of the Docker layer: the daemon's message and its class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The errdefs class.
    pub kind: Kind,
    /// The message, exactly as the daemon sends it.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Results of the Docker layer.
pub type Result<T> = std::result::Result<T, Error>;

fn e(kind: Kind, message: String) -> Error {
    Error { kind, message }
}

impl Error {
    /// Any error with a given class and text.
    pub fn new(kind: Kind, message: impl Into<String>) -> Error {
        e(kind, message.into())
    }

    /// Wraps the message: `prefix` + message, same class (moby's `errors.Wrap` and friends).
    pub fn prefixed(self, prefix: &str) -> Error {
        e(self.kind, format!("{prefix}{}", self.message))
    }

    // --- networks (libnetwork/error.go, daemon/network.go) ---

    /// `ErrNoSuchNetwork`.
    pub fn network_not_found(name: &str) -> Error {
        e(Kind::NotFound, format!("network {name} not found"))
    }
    /// `NetworkNameError`.
    pub fn network_name_exists(name: &str) -> Error {
        e(
            Kind::Conflict,
            format!("network with name {name} already exists"),
        )
    }
    /// `PredefinedNetworkError` (the trailing space is moby's).
    pub fn predefined_network_operation(name: &str) -> Error {
        e(
            Kind::Forbidden,
            format!("operation is not permitted on predefined {name} network "),
        )
    }
    /// daemon/network.go `deleteNetwork`.
    pub fn predefined_network_remove(name: &str) -> Error {
        e(
            Kind::Forbidden,
            format!("{name} is a pre-defined network and cannot be removed"),
        )
    }
    /// `ActiveEndpointsError` (v28.1+ text) wrapped by `deleteNetwork`.
    pub fn active_endpoints(name: &str, endpoints: &[(String, String)]) -> Error {
        let list: Vec<String> = endpoints
            .iter()
            .map(|(n, id)| format!("name:{n:?} id:{:?}", &id[..12]))
            .collect();
        e(
            Kind::Forbidden,
            format!(
                "error while removing network: network {name} has active endpoints ({})",
                list.join(", ")
            ),
        )
    }
    /// `findUniqueNetwork`: several networks answer to the name or ID prefix.
    pub fn network_ambiguous(name: &str, count: usize, by_name: bool) -> Error {
        let how = if by_name {
            "based on name"
        } else {
            "based on ID prefix"
        };
        e(
            Kind::InvalidParameter,
            format!("network {name} is ambiguous ({count} matches found {how})"),
        )
    }
    /// libnetwork `CreateEndpoint` on a running container already on the network.
    pub fn endpoint_exists(container: &str, network: &str) -> Error {
        e(
            Kind::Forbidden,
            format!("endpoint with name {container} already exists in network {network}"),
        )
    }
    /// `disconnectFromNetwork` (running container).
    pub fn not_connected_running(container_id: &str, network: &str) -> Error {
        e(
            Kind::System,
            format!("container {container_id} is not connected to network {network}"),
        )
    }
    /// `DisconnectFromNetwork` (stopped container); note "the".
    pub fn not_connected_stopped(container_id: &str, network: &str) -> Error {
        e(
            Kind::System,
            format!("container {container_id} is not connected to the network {network}"),
        )
    }
    /// `ForceEndpointDelete` when no endpoint has that name.
    pub fn endpoint_not_found(name: &str) -> Error {
        e(Kind::NotFound, format!("endpoint {name} not found"))
    }
    /// IPAM `ErrPoolOverlap` (v27+ prefix).
    pub fn pool_overlap() -> Error {
        e(
            Kind::Forbidden,
            "invalid pool request: Pool overlaps with other one on this address space".into(),
        )
    }
    /// IPAM `ErrNoMoreSubnets`.
    pub fn no_more_subnets() -> Error {
        e(
            Kind::InvalidParameter,
            "all predefined address pools have been fully subnetted".into(),
        )
    }
    /// IPAM `ErrIPAlreadyAllocated`.
    pub fn address_in_use() -> Error {
        e(Kind::Forbidden, "Address already in use".into())
    }
    /// libnetwork endpoint.go when a pool has no free address.
    pub fn no_available_addresses(version: u8, name: &str, id: &str) -> Error {
        e(
            Kind::Forbidden,
            format!(
                "no available IPv{version} addresses on this network's address pools: {name} ({id})"
            ),
        )
    }
    /// bridge driver: one IPv4 subnet per network.
    pub fn bridge_multiple_subnets() -> Error {
        e(
            Kind::Forbidden,
            "bridge driver doesn't support multiple subnets".into(),
        )
    }

    // --- containers (container/view.go, daemon/*.go) ---

    /// `container/view.go`.
    pub fn no_such_container(name: &str) -> Error {
        e(Kind::NotFound, format!("No such container: {name}"))
    }
    /// Name reservation conflict (`daemon/names.go`).
    pub fn container_name_in_use(name: &str, id: &str) -> Error {
        e(
            Kind::Conflict,
            format!(
                "Conflict. The container name \"/{name}\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name."
            ),
        )
    }
    /// `daemon/names.go` `validContainerNamePattern`.
    pub fn invalid_container_name(name: &str) -> Error {
        e(
            Kind::InvalidParameter,
            format!("Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"),
        )
    }
}
