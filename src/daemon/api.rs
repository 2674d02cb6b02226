//! Engine API request bodies, decoded and turned into the [`docker`](crate::docker) layer's
//! requests.
//!
//! Field names are the Engine API's (`api/types/network/create_request.go`,
//! `endpoint.go`, `ipam.go`, `api/types/container/config.go`, `hostconfig.go`,
//! `api/types/container/exec.go` in moby v28.2.2). Every field is optional and may be
//! `null` (docker-py sends `null` for unset values); unknown fields are ignored, as Go's
//! decoder does; a field of the wrong type is a 400.

use crate::docker::container::PortBinding;
use crate::docker::network::EndpointIpamConfig;
use crate::docker::{ContainerCreateRequest, EndpointSettings, IpamConfig, NetworkCreateRequest};
use indexmap::IndexMap;
use serde::Deserialize;
use std::collections::BTreeMap;

type StringMap = BTreeMap<String, String>;

/// `IPAM.Config[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct IpamPool {
    subnet: Option<String>,
    #[serde(rename = "IPRange")]
    ip_range: Option<String>,
    gateway: Option<String>,
    auxiliary_addresses: Option<StringMap>,
}

/// `IPAM`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Ipam {
    driver: Option<String>,
    config: Option<Vec<IpamPool>>,
    options: Option<StringMap>,
}

/// `POST /networks/create`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct NetworkCreate {
    name: Option<String>,
    driver: Option<String>,
    internal: Option<bool>,
    attachable: Option<bool>,
    #[serde(rename = "EnableIPv6")]
    enable_ipv6: Option<bool>,
    #[serde(rename = "IPAM")]
    ipam: Option<Ipam>,
    options: Option<StringMap>,
    labels: Option<StringMap>,
}

impl NetworkCreate {
    /// The docker layer's request.
    pub fn into_request(self) -> NetworkCreateRequest {
        let ipam = self.ipam.unwrap_or_default();
        NetworkCreateRequest {
            name: self.name.unwrap_or_default(),
            driver: self.driver.unwrap_or_default(),
            internal: self.internal.unwrap_or(false),
            attachable: self.attachable.unwrap_or(false),
            enable_ipv6: self.enable_ipv6.unwrap_or(false),
            ipam_driver: ipam.driver.unwrap_or_default(),
            ipam_config: ipam
                .config
                .unwrap_or_default()
                .into_iter()
                .map(|p| IpamConfig {
                    subnet: p.subnet.unwrap_or_default(),
                    ip_range: p.ip_range.unwrap_or_default(),
                    gateway: p.gateway.unwrap_or_default(),
                    aux_addresses: p.auxiliary_addresses.unwrap_or_default(),
                })
                .collect(),
            ipam_options: ipam.options,
            options: self.options.unwrap_or_default(),
            labels: self.labels.unwrap_or_default(),
        }
    }
}

/// `EndpointIPAMConfig`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EndpointIpam {
    #[serde(rename = "IPv4Address")]
    ipv4_address: Option<String>,
    #[serde(rename = "IPv6Address")]
    ipv6_address: Option<String>,
    #[serde(rename = "LinkLocalIPs")]
    link_local_ips: Option<Vec<String>>,
}

/// `EndpointSettings` (the configured half; operational fields a client sends are ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Endpoint {
    #[serde(rename = "IPAMConfig")]
    ipam_config: Option<EndpointIpam>,
    links: Option<Vec<String>>,
    aliases: Option<Vec<String>>,
    driver_opts: Option<BTreeMap<String, String>>,
    mac_address: Option<String>,
    gw_priority: Option<i64>,
}

impl Endpoint {
    /// The docker layer's settings.
    pub fn into_settings(self) -> EndpointSettings {
        EndpointSettings {
            // Stored as sent: an empty `IPAMConfig` (`docker network connect` sends `{}`)
            // asks for no address and shows as `{}` in inspect, as moby keeps it.
            ipam_config: self.ipam_config.map(|c| EndpointIpamConfig {
                ipv4_address: c.ipv4_address.unwrap_or_default(),
                ipv6_address: c.ipv6_address.unwrap_or_default(),
                link_local_ips: c.link_local_ips.unwrap_or_default(),
            }),
            driver_opts: self.driver_opts,
            links: self.links.unwrap_or_default(),
            aliases: self.aliases.unwrap_or_default(),
            mac_address: self.mac_address.unwrap_or_default(),
            gw_priority: self.gw_priority.unwrap_or_default(),
            ..EndpointSettings::default()
        }
    }
}

/// `POST /networks/{id}/connect`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct NetworkConnect {
    /// The container.
    pub container: Option<String>,
    /// Its settings on the network.
    pub endpoint_config: Option<Endpoint>,
}

/// `POST /networks/{id}/disconnect`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct NetworkDisconnect {
    /// The container.
    pub container: Option<String>,
    /// `-f`.
    pub force: Option<bool>,
}

/// A string or a list of strings (Go's `strslice.StrSlice`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum StrSlice {
    /// `"sh"`.
    One(String),
    /// `["sh", "-c", "x"]`.
    Many(Vec<String>),
}

impl StrSlice {
    fn into_vec(self) -> Vec<String> {
        match self {
            StrSlice::One(s) => vec![s],
            StrSlice::Many(v) => v,
        }
    }
}

/// `HostConfig.PortBindings[port][]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Binding {
    host_ip: Option<String>,
    host_port: Option<String>,
}

/// `HostConfig` (the networking part).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct HostConfig {
    network_mode: Option<String>,
    port_bindings: Option<BTreeMap<String, Option<Vec<Binding>>>>,
    publish_all_ports: Option<bool>,
    links: Option<Vec<String>>,
    cap_add: Option<Vec<String>>,
    cap_drop: Option<Vec<String>>,
    sysctls: Option<BTreeMap<String, String>>,
    privileged: Option<bool>,
    auto_remove: Option<bool>,
}

/// `NetworkingConfig`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct NetworkingConfig {
    endpoints_config: Option<IndexMap<String, Option<Endpoint>>>,
}

/// `POST /containers/create`: `Config` with `HostConfig` and `NetworkingConfig`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ContainerCreate {
    hostname: Option<String>,
    env: Option<Vec<String>>,
    cmd: Option<StrSlice>,
    image: Option<String>,
    tty: Option<bool>,
    open_stdin: Option<bool>,
    attach_stdout: Option<bool>,
    attach_stderr: Option<bool>,
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    labels: Option<BTreeMap<String, String>>,
    user: Option<String>,
    host_config: Option<HostConfig>,
    networking_config: Option<NetworkingConfig>,
}

impl ContainerCreate {
    /// The docker layer's request; `name` is the `?name=` query value.
    pub fn into_request(self, name: Option<String>) -> ContainerCreateRequest {
        let hc = self.host_config.unwrap_or_default();
        let port_bindings = hc
            .port_bindings
            .unwrap_or_default()
            .into_iter()
            .map(|(port, bs)| {
                let bs = bs
                    .unwrap_or_default()
                    .into_iter()
                    .map(|b| PortBinding {
                        host_ip: b.host_ip.unwrap_or_default(),
                        host_port: b.host_port.unwrap_or_default(),
                    })
                    .collect();
                (port, bs)
            })
            .collect();
        let endpoints = self
            .networking_config
            .and_then(|n| n.endpoints_config)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, e)| (k, e.unwrap_or_default().into_settings()))
            .collect();
        ContainerCreateRequest {
            name: name.filter(|n| !n.is_empty()),
            image: self.image.unwrap_or_default(),
            cmd: self.cmd.map(StrSlice::into_vec).unwrap_or_default(),
            hostname: self.hostname.unwrap_or_default(),
            env: self.env.unwrap_or_default(),
            tty: self.tty.unwrap_or(false),
            open_stdin: self.open_stdin.unwrap_or(false),
            attach: self.attach_stdout.unwrap_or(false) || self.attach_stderr.unwrap_or(false),
            network_mode: hc.network_mode.unwrap_or_default(),
            port_bindings,
            publish_all_ports: hc.publish_all_ports.unwrap_or(false),
            exposed_ports: self.exposed_ports.unwrap_or_default().into_keys().collect(),
            links: hc.links.unwrap_or_default(),
            endpoints,
            cap_add: hc.cap_add.unwrap_or_default(),
            cap_drop: hc.cap_drop.unwrap_or_default(),
            sysctls: hc.sysctls.unwrap_or_default(),
            privileged: hc.privileged.unwrap_or_default(),
            auto_remove: hc.auto_remove.unwrap_or_default(),
            labels: self.labels.unwrap_or_default(),
            user: self.user.unwrap_or_default(),
        }
    }
}

/// `POST /containers/{id}/exec`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ExecCreate {
    /// `-t`.
    pub tty: Option<bool>,
    /// `-i`.
    pub attach_stdin: Option<bool>,
    /// Output wanted.
    pub attach_stdout: Option<bool>,
    /// Errors wanted.
    pub attach_stderr: Option<bool>,
    /// The command.
    pub cmd: Option<StrSlice>,
    /// `-e`: variables over the container's.
    pub env: Option<Vec<String>>,
    /// `-w`.
    pub working_dir: Option<String>,
    /// `-u`.
    pub user: Option<String>,
    /// `--privileged`.
    pub privileged: Option<bool>,
}

impl ExecCreate {
    /// The command line.
    pub fn argv(&mut self) -> Vec<String> {
        self.cmd.take().map(StrSlice::into_vec).unwrap_or_default()
    }
}

/// `POST /exec/{id}/start`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ExecStart {
    /// Run in the background.
    pub detach: Option<bool>,
    /// Frame the output raw (a TTY) rather than multiplexed.
    pub tty: Option<bool>,
}
