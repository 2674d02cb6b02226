//! Docker's errors, word for word.
//!
//! Each constructor is named after the moby error it mirrors and cites where the text comes
//! from (moby v28.5.2 unless noted). The [`Kind`] is the errdefs class moby attaches, which
//! decides the HTTP status a daemon would send; the CLI prints every daemon error as
//! `Error response from daemon: <message>`.

use std::fmt::{self, Display};

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
            .map(|(n, id)| format!("name:{n:?} id:{:?}", crate::docker::short(id)))
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

    /// libnetwork `ErrInvalidName`.
    pub fn invalid_network_name(name: &str) -> Error {
        e(Kind::InvalidParameter, format!("invalid name: {name}"))
    }
    /// libnetwork `NetworkTypeError` for the drivers of the predefined networks.
    pub fn one_instance_only(driver: &str) -> Error {
        e(
            Kind::Forbidden,
            format!("only one instance of \"{driver}\" network is allowed"),
        )
    }
    /// `pkg/plugins` `ErrNotFound`: a network or IPAM driver nobody provides.
    pub fn plugin_not_found(name: &str) -> Error {
        e(Kind::NotFound, format!("plugin \"{name}\" not found"))
    }
    /// vnet's own: a driver Docker has but vnet does not simulate.
    pub fn driver_not_simulated(driver: &str) -> Error {
        e(
            Kind::System,
            format!("vnet does not simulate the {driver} driver"),
        )
    }
    /// vnet's own: `docker top` with ps options other than the default `-ef`.
    pub fn ps_args_not_simulated(ps_args: &str) -> Error {
        e(
            Kind::System,
            format!("Error running ps: only the default `ps -ef` is simulated, not `ps {ps_args}`"),
        )
    }
    /// `daemon/cluster`: an overlay network without a cluster store on a non-swarm node.
    pub fn not_a_swarm_manager() -> Error {
        e(
            Kind::Forbidden,
            "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.".into(),
        )
    }
    /// libnetwork `network.go` `ipamAllocateVersion`: the gateway request failed.
    pub fn gateway_allocation(gateway: &str, err: impl Display) -> Error {
        e(
            Kind::System,
            format!("failed to allocate gateway ({gateway}): {err}"),
        )
    }
    /// libnetwork overlay `AllocateVXLANIDs`: every VXLAN ID (VNI) is in use.
    pub fn vxlan_ids_exhausted(subnet: impl Display) -> Error {
        e(
            Kind::System,
            format!("could not obtain vxlan id for pool {subnet}: no bit available"),
        )
    }
    /// libnetwork `network.go` `ipamAllocateVersion`: an `--aux-address` request failed.
    pub fn aux_address_allocation(name: &str, aux: impl Display, err: impl Display) -> Error {
        e(
            Kind::System,
            format!("failed to allocate secondary ip address ({name}:{aux}): {err}"),
        )
    }
    /// The bridge driver's `checkConflict`: another bridge network overlaps.
    pub fn bridge_conflict(
        new_id: &str,
        new_bridge: &str,
        other_id: &str,
        other_bridge: &str,
        reason: impl Display,
    ) -> Error {
        e(
            Kind::Forbidden,
            format!(
                "cannot create network {new_id} ({new_bridge}): conflicts with network {other_id} ({other_bridge}): {reason}"
            ),
        )
    }
    /// `network.ValidateIPAM`: the problems, already joined.
    pub fn invalid_network_config(problems: &str) -> Error {
        e(
            Kind::InvalidParameter,
            format!("invalid network config:\n{problems}"),
        )
    }
    /// `validateEndpointSettings`: the problems, already joined.
    pub fn invalid_endpoint_settings(problems: &str) -> Error {
        e(
            Kind::InvalidParameter,
            format!("invalid endpoint settings:\n{problems}"),
        )
    }
    /// `ipamapi.ErrIPOutOfRange`.
    pub fn address_out_of_range() -> Error {
        e(
            Kind::InvalidParameter,
            "requested address is out of range".into(),
        )
    }
    /// The default IPAM's bitmap when a pool has no free address left.
    pub fn no_free_address() -> Error {
        e(Kind::Forbidden, "no free address".into())
    }
    /// `runconfig.ErrConflictSharedNetwork`.
    pub fn conflict_shared_network() -> Error {
        e(
            Kind::Forbidden,
            "container sharing network namespace with another container or host cannot be connected to any other network".into(),
        )
    }
    /// `runconfig.ErrConflictHostNetwork`.
    pub fn conflict_host_network() -> Error {
        e(
            Kind::Forbidden,
            "container cannot be disconnected from host network or connected to host network"
                .into(),
        )
    }
    /// `runconfig.ErrConflictNoNetwork`.
    pub fn conflict_no_network() -> Error {
        e(
            Kind::Forbidden,
            "container cannot be connected to multiple networks with one of the networks in private (none) mode".into(),
        )
    }
    /// `daemon/container_operations.go` `ConnectToNetwork` (stopped container).
    pub fn already_connected(network: &str) -> Error {
        e(
            Kind::Forbidden,
            format!("container already connected to network {network}"),
        )
    }
    /// `daemon/container_operations.go` `disconnectFromNetwork` for a host-mode container.
    pub fn disconnect_host_mode() -> Error {
        e(
            Kind::Forbidden,
            "cannot disconnect container from host network - container was created in host network mode".into(),
        )
    }
    /// vnet's own: `vnet link set` on a network without bridge links.
    pub fn no_links(term: &str, driver: impl Display) -> Error {
        e(
            Kind::InvalidParameter,
            format!("network {term} has no links: its driver is {driver}"),
        )
    }

    // --- filters (api/types/filters, daemon/network/filter.go) ---

    /// `filters.invalidFilter`: a key the list does not know.
    pub fn invalid_filter(key: &str) -> Error {
        e(Kind::InvalidParameter, format!("invalid filter '{key}'"))
    }
    /// `daemon/network/filter.go`: a `type` other than `custom` or `builtin`.
    pub fn invalid_type_filter(value: &str) -> Error {
        e(
            Kind::InvalidParameter,
            format!("invalid filter: 'type'='{value}'"),
        )
    }
    /// `filters.Args.GetBoolOrDefault` on `dangling`.
    pub fn invalid_dangling_filter() -> Error {
        e(
            Kind::InvalidParameter,
            "invalid value for filter 'dangling', must be \"true\" (or \"1\"), or \"false\" (or \"0\")".into(),
        )
    }
    /// `daemon/list.go`: a `status` that is no container state.
    pub fn invalid_status_filter(value: &str) -> Error {
        e(
            Kind::InvalidParameter,
            format!("invalid filter 'status={value}'"),
        )
    }

    // --- containers (container/view.go, daemon/*.go) ---

    /// `container/view.go`: a prefix that several container IDs share.
    pub fn container_ambiguous(term: &str) -> Error {
        e(
            Kind::InvalidParameter,
            format!("multiple IDs found with provided prefix: {term}"),
        )
    }
    /// vnet's own: `container:<id>` network mode is not simulated.
    pub fn container_network_mode() -> Error {
        e(
            Kind::System,
            "vnet does not simulate the container: network mode".into(),
        )
    }
    /// `daemon/create.go` (`verifyNetworkingConfig` / links): a `--link` target missing.
    pub fn link_target_not_found(target: &str, err: impl Display) -> Error {
        e(
            Kind::InvalidParameter,
            format!("could not get container for {target}: {err}"),
        )
    }
    /// `runconfig.ErrConflictHostNetworkAndLinks`.
    pub fn conflict_host_network_and_links() -> Error {
        e(
            Kind::InvalidParameter,
            "conflicting options: host type networking can't be used with links. This would result in undefined behavior".into(),
        )
    }
    /// `daemon/rename.go`.
    pub fn rename_same_name() -> Error {
        e(
            Kind::InvalidParameter,
            "Renaming a container with the same name as its current name".into(),
        )
    }
    /// `daemon/container_operations.go` `updateEndpointNetworkSettings` via `getLinkedContainer`.
    pub fn link_to_stopped(target: &str, alias: &str) -> Error {
        e(
            Kind::InvalidParameter,
            format!("Cannot link to a non running container: {target} AS {alias}"),
        )
    }
    /// `isLinkable`: the linked container is not on the default bridge.
    pub fn link_outside_default_network(target: &str) -> Error {
        e(
            Kind::InvalidParameter,
            format!("Cannot link to {target}, as it does not belong to the default network"),
        )
    }
    /// `validateCapabilities` (daemon/container.go): `invalid CapAdd: unknown capability:
    /// "CAP_X"` (`which` is `CapAdd` or `CapDrop`).
    pub fn invalid_capabilities(which: &str, problem: &str) -> Error {
        e(
            Kind::InvalidParameter,
            format!("invalid {which}: {problem}"),
        )
    }
    /// A `--sysctl` vnet does not simulate, or a value the kernel would not take (runc would
    /// fail the start on it; vnet refuses it at create).
    pub fn sysctl_not_simulated(key: &str, value: &str) -> Error {
        let message = if key == "net.ipv4.ip_forward" {
            format!("vnet: sysctl {key}={value}: the value must be a number")
        } else {
            format!("vnet: sysctl {key} is not simulated (net.ipv4.ip_forward is)")
        };
        e(Kind::InvalidParameter, message)
    }
    /// A network sysctl for a container in the host's namespace: runc refuses it when the
    /// container starts (`sysctl "KEY" not allowed in host network namespace`); vnet at create.
    pub fn sysctl_in_host_namespace(key: &str) -> Error {
        e(
            Kind::InvalidParameter,
            format!("vnet: sysctl {key:?} not allowed in host network namespace"),
        )
    }
    /// The port allocator with every ephemeral port taken.
    pub fn no_free_host_port() -> Error {
        e(Kind::System, "no free ephemeral host port".into())
    }
    /// A host port that is not a number.
    pub fn invalid_host_port(port: &str) -> Error {
        e(Kind::InvalidParameter, format!("invalid port {port}"))
    }
    /// The bridge driver's port mapper: the host port is taken.
    pub fn port_already_allocated(
        container: &str,
        endpoint: &str,
        host_ip: &str,
        port: u16,
    ) -> Error {
        e(
            Kind::System,
            format!(
                "driver failed programming external connectivity on endpoint {container} ({endpoint}): Bind for {host_ip}:{port} failed: port is already allocated"
            ),
        )
    }
    /// The bridge driver could not bind a published port's host address (Engine 28:
    /// libnetwork drivers/bridge/port_mapping_linux.go `bindTCPOrUDP`, `failed to bind host
    /// port for HOSTIP:HOSTPORT:IP:PORT/PROTO: ERRNO`, under `driver failed programming
    /// external connectivity`).
    pub fn bind_host_port_failed(
        container: &str,
        endpoint: &str,
        mapping: &str,
        errno: &str,
    ) -> Error {
        e(
            Kind::System,
            format!(
                "driver failed programming external connectivity on endpoint {container} ({endpoint}): failed to bind host port for {mapping}: {errno}"
            ),
        )
    }
    /// The bridge driver could not add the endpoint's veth to a bridge that has all its
    /// ports (Linux's `EXFULL`, Go's "exchange full"): libnetwork drivers/bridge
    /// `createEndpoint` (`adding interface %s to bridge %s failed: %v`) under network.go
    /// `addEndpoint` (`failed to create endpoint %s on network %s: %v`).
    pub fn bridge_ports_full(container: &str, network: &str, veth: &str, bridge: &str) -> Error {
        e(
            Kind::System,
            format!(
                "failed to create endpoint {container} on network {network}: adding interface {veth} to bridge {bridge} failed: exchange full"
            ),
        )
    }
    /// The overlay driver could not add the container's veth to the network's bridge on this
    /// host, which has all its ports: libnetwork drivers/overlay `Join` (`could not add veth
    /// pair inside the network sandbox: %v`) over osl `configureInterface` (`error setting
    /// interface %q master to %q: %v`).
    pub fn overlay_ports_full(veth: &str, bridge: &str) -> Error {
        e(
            Kind::System,
            format!(
                "could not add veth pair inside the network sandbox: error setting interface {veth:?} master to {bridge:?}: exchange full"
            ),
        )
    }
    /// vnet's own: a stop without timeout of a process that ignores SIGTERM.
    pub fn stop_needs_timeout(container: &str) -> Error {
        e(
            Kind::System,
            format!(
                "vnet cannot wait for ever: the main process of {container} ignores SIGTERM; give stop a timeout"
            ),
        )
    }
    /// `daemon/kill.go`.
    pub fn kill_not_running(term: &str, id: &str) -> Error {
        e(
            Kind::Conflict,
            format!("cannot kill container: {term}: container {id} is not running"),
        )
    }
    /// `daemon/delete.go`.
    pub fn remove_running(term: &str) -> Error {
        e(
            Kind::Conflict,
            format!(
                "cannot remove container \"{term}\": container is running: stop the container before removing or force remove"
            ),
        )
    }

    /// `errNotRunning` (daemon/errors.go): `docker exec` into a container that is not running.
    pub fn container_not_running(id: &str) -> Error {
        e(Kind::Conflict, format!("container {id} is not running"))
    }
    /// The docker CLI's `attach` check (cli/command/container/attach.go): the container is
    /// not running.
    pub fn attach_stopped() -> Error {
        e(
            Kind::Conflict,
            "You cannot attach to a stopped container, start it first".into(),
        )
    }

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

    // --- the Engine API's routers (api/server/router/*, api/server/server.go) ---

    /// `daemon/exec.go` `getExecConfig`.
    pub fn no_such_exec(term: &str) -> Error {
        e(Kind::NotFound, format!("No such exec instance: {term}"))
    }
    /// `api/server/router/container/exec.go`: an exec create without a command.
    pub fn no_exec_command() -> Error {
        e(Kind::InvalidParameter, "No exec command specified".into())
    }
    /// `daemon/exec.go` `ContainerExecStart`: the exec instance already ran or runs.
    pub fn exec_command(id: &str, how: &str) -> Error {
        e(Kind::Conflict, format!("Error: Exec command {id} {how}"))
    }
    /// `api/server/router/container/container_routes.go` `postContainersWait`.
    pub fn invalid_wait_condition(condition: &str) -> Error {
        e(
            Kind::InvalidParameter,
            format!("invalid condition: \"{condition}\""),
        )
    }
    /// A pull on a host with no way out (the simulated host reaches no registry): Go's
    /// `url.Error` around the resolver's answer, as a Docker host whose local stub resolver
    /// (`127.0.0.53`) has no upstream reports it.
    /// `registry` is the reference's domain (`registry-1.docker.io` for Docker Hub's).
    pub fn registry_unreachable(registry: &str) -> Error {
        let host = registry.split(':').next().unwrap_or(registry);
        e(
            Kind::System,
            format!(
                "Get \"https://{registry}/v2/\": dial tcp: lookup {host} on 127.0.0.53:53: server misbehaving"
            ),
        )
    }
    /// `daemon/images` `GetImage`.
    pub fn no_such_image(reference: &str) -> Error {
        e(Kind::NotFound, format!("No such image: {reference}"))
    }
    /// `api/server/router/image/image_routes.go` `postImagesCreate`.
    pub fn from_image_required() -> Error {
        e(
            Kind::InvalidParameter,
            "fromImage or fromSrc is required".into(),
        )
    }
    /// `api/server/server.go` `notFoundHandler`.
    pub fn page_not_found() -> Error {
        e(Kind::NotFound, "page not found".into())
    }
    /// vnet's own: a prune's `--filter until=...` is not built (`what`: `network prune`,
    /// `container prune`).
    pub fn prune_until_unsupported(what: &str) -> Error {
        e(
            Kind::InvalidParameter,
            format!("the until filter of {what} is not simulated yet"),
        )
    }
    /// vnet's own: an attach request that does not ask to upgrade the connection.
    pub fn attach_needs_upgrade() -> Error {
        e(
            Kind::InvalidParameter,
            "attach needs a connection upgrade (Connection: Upgrade, Upgrade: tcp)".into(),
        )
    }
    /// `daemon/exec.go` `ContainerExecStart`: the program could not start (the OCI runtime's
    /// message, made by the container's side).
    pub fn exec_failed(message: &str) -> Error {
        e(Kind::System, message.to_string())
    }
}
