//! The Engine API's JSON objects, field for field and in Go's order.
//!
//! Network inspect follows `api/types/network/network.go` `Inspect` (moby v28.5.2) as built by
//! `daemon/network.go` `buildNetworkResource`; endpoint settings follow
//! `api/types/network/endpoint.go`; container inspect follows
//! `api/types/container` `InspectResponse`. Go maps encode with sorted keys, so every map here
//! is built sorted; structs keep their declaration order (serde_json's `preserve_order`).

use super::Daemon;
use super::container::{Container, NetworkMode, Status};
use super::network::{EndpointSettings, Network};
use serde_json::{Map, Value, json};

/// Go's zero `time.Time` in RFC 3339.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

fn string_map(m: &std::collections::BTreeMap<String, String>) -> Value {
    Value::Object(m.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

fn string_list_or_null(v: &[String]) -> Value {
    if v.is_empty() { Value::Null } else { json!(v) }
}

impl Daemon {
    /// The ID of the network namespace `c` got when it started at `started` (libnetwork's
    /// sandbox ID, random in Docker, drawn here).
    pub fn sandbox_id(&self, c: &Container, started: crate::time::Instant) -> String {
        crate::rng::hex_id(self.state.seed, &format!("sandbox/{}/{}", c.id, started.0))
    }

    /// `GET /networks/{id}`.
    pub fn network_inspect(&self, net: &Network) -> Value {
        let config = match &net.ipam.config {
            None => Value::Null,
            Some(cs) => Value::Array(
                cs.iter()
                    .map(|c| {
                        let mut m = Map::new();
                        m.insert("Subnet".into(), json!(c.subnet));
                        if !c.ip_range.is_empty() {
                            m.insert("IPRange".into(), json!(c.ip_range));
                        }
                        if !c.gateway.is_empty() {
                            m.insert("Gateway".into(), json!(c.gateway));
                        }
                        if !c.aux_addresses.is_empty() {
                            m.insert("AuxiliaryAddresses".into(), string_map(&c.aux_addresses));
                        }
                        Value::Object(m)
                    })
                    .collect(),
            ),
        };
        let mut containers: Vec<(String, Value)> = net
            .endpoints
            .values()
            .map(|ep| {
                let addr = |a: &Option<(std::net::IpAddr, u8)>| {
                    a.map_or(String::new(), |(ip, len)| format!("{ip}/{len}"))
                };
                // An endpoint with no container here (another host's, or a stale one) is
                // listed by its ID, as libnetwork lists endpoints without a local sandbox.
                let (key, name) = match self.state.containers.get(&ep.container_id) {
                    Some(c)
                        if net.is_local(ep, &self.host.node)
                            && c.endpoints()
                                .any(|s| s.endpoint_id.as_ref() == Some(&ep.id)) =>
                    {
                        let name = if ep.anonymous { &ep.name } else { &c.name };
                        (c.id.clone(), name.clone())
                    }
                    _ => (format!("ep-{}", ep.id), ep.name.clone()),
                };
                (
                    key,
                    json!({
                        "Name": name,
                        "EndpointID": ep.id,
                        "MacAddress": ep.mac.map(|m| m.to_string()).unwrap_or_default(),
                        "IPv4Address": addr(&ep.ipv4),
                        "IPv6Address": addr(&ep.ipv6),
                    }),
                )
            })
            .collect();
        containers.sort_by(|a, b| a.0.cmp(&b.0));
        json!({
            "Name": net.name,
            "Id": net.id,
            "Created": net.created.rfc3339_nano(),
            "Scope": net.scope(),
            "Driver": net.driver,
            "EnableIPv4": net.enable_ipv4,
            "EnableIPv6": net.enable_ipv6,
            "IPAM": {
                "Driver": net.ipam.driver,
                "Options": net.ipam.options.as_ref().map_or(Value::Null, string_map),
                "Config": config,
            },
            "Internal": net.internal,
            "Attachable": net.attachable,
            "Ingress": false,
            "ConfigFrom": { "Network": "" },
            "ConfigOnly": false,
            "Containers": Value::Object(containers.into_iter().collect()),
            "Options": string_map(&net.options),
            "Labels": string_map(&net.labels),
        })
    }

    /// One `NetworkSettings.Networks` entry.
    pub fn endpoint_settings_json(&self, s: &EndpointSettings) -> Value {
        // Go's `omitempty` fields: an empty request shows as `{}`, none as `null`.
        let ipam = match &s.ipam_config {
            Some(c) => {
                let mut m = Map::new();
                if !c.ipv4_address.is_empty() {
                    m.insert("IPv4Address".into(), json!(c.ipv4_address));
                }
                if !c.ipv6_address.is_empty() {
                    m.insert("IPv6Address".into(), json!(c.ipv6_address));
                }
                if !c.link_local_ips.is_empty() {
                    m.insert("LinkLocalIPs".into(), json!(c.link_local_ips));
                }
                Value::Object(m)
            }
            None => Value::Null,
        };
        let ep = s.endpoint_id.as_ref().and_then(|id| {
            self.state
                .networks
                .get(&s.network_id)
                .and_then(|n| n.endpoints.get(id).map(|ep| (n, ep)))
        });
        // Only the bridge driver gives its endpoints a gateway (the overlay driver's join
        // sets none: libnetwork's `docker_gwbridge` endpoint routes for them).
        let ep = ep.map(|(n, ep)| (n, ep, n.driver == super::network::Driver::Bridge));
        let (mac, gw, ip, len, gw6, ip6, len6) = match ep {
            Some((n, ep, routed)) => (
                ep.mac.map(|m| m.to_string()).unwrap_or_default(),
                ep.ipv4
                    .and(n.pool_v4().and_then(|p| p.gateway))
                    .filter(|_| routed)
                    .map_or(String::new(), |g| g.to_string()),
                ep.ipv4.map_or(String::new(), |(a, _)| a.to_string()),
                ep.ipv4.map_or(0, |(_, l)| l),
                ep.ipv6
                    .and(n.pool_v6().and_then(|p| p.gateway))
                    .filter(|_| routed)
                    .map_or(String::new(), |g| g.to_string()),
                ep.ipv6.map_or(String::new(), |(a, _)| a.to_string()),
                ep.ipv6.map_or(0, |(_, l)| l),
            ),
            // Not joined: the configured MAC, which the next start uses.
            None => (
                s.mac_address.clone(),
                String::new(),
                String::new(),
                0,
                String::new(),
                String::new(),
                0,
            ),
        };
        json!({
            "IPAMConfig": ipam,
            "Links": string_list_or_null(&s.links),
            "Aliases": string_list_or_null(&s.aliases),
            "MacAddress": mac,
            "DriverOpts": s.driver_opts.as_ref().map_or(Value::Null, |m| json!(m)),
            "GwPriority": s.gw_priority,
            "NetworkID": s.network_id,
            "EndpointID": s.endpoint_id.clone().unwrap_or_default(),
            "Gateway": gw,
            "IPAddress": ip,
            "IPPrefixLen": len,
            "IPv6Gateway": gw6,
            "GlobalIPv6Address": ip6,
            "GlobalIPv6PrefixLen": len6,
            "DNSNames": s.dns_names.as_ref().map_or(Value::Null, |d| json!(d)),
        })
    }

    /// `NetworkSettings.Networks`: sorted by network name, as Go encodes a map.
    pub fn networks_json(&self, c: &Container) -> Value {
        let mut v: Vec<(&String, &EndpointSettings)> = c.networks.iter().collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        Value::Object(
            v.into_iter()
                .map(|(k, s)| (k.clone(), self.endpoint_settings_json(s)))
                .collect(),
        )
    }

    /// `NetworkSettings.Ports`: every exposed port, with its bindings while running.
    fn ports_json(&self, c: &Container) -> Value {
        if !c.is_running() {
            return json!({});
        }
        // A BTreeMap: its keys come sorted.
        Value::Object(
            c.ports
                .iter()
                .map(|(k, bs)| {
                    let v = if bs.is_empty() {
                        Value::Null
                    } else {
                        Value::Array(
                            bs.iter()
                                .map(|b| json!({"HostIp": b.host_ip, "HostPort": b.host_port}))
                                .collect(),
                        )
                    };
                    (k.clone(), v)
                })
                .collect(),
        )
    }

    /// `GET /containers/{id}/json`.
    pub fn container_inspect(&self, c: &Container) -> Value {
        let time =
            |t: Option<crate::time::Instant>| t.map_or(ZERO_TIME.to_string(), |t| t.rfc3339_nano());
        let bridge = c
            .networks
            .get("bridge")
            .filter(|_| c.host_config.network_mode == NetworkMode::Bridge);
        let legacy = bridge.map(|s| self.endpoint_settings_json(s));
        let leg = |k: &str| {
            legacy.as_ref().map_or_else(
                || {
                    if k.ends_with("PrefixLen") {
                        json!(0)
                    } else {
                        json!("")
                    }
                },
                |v| v[k].clone(),
            )
        };
        let sandbox = match c.state.started_at {
            Some(t) if c.is_running() => self.sandbox_id(c, t),
            _ => String::new(),
        };
        let sandbox_key = if c.is_running() {
            format!("/var/run/docker/netns/{}", crate::docker::short(&sandbox))
        } else {
            String::new()
        };
        let exposed: Value = if c.config.exposed_ports.is_empty() {
            Value::Null
        } else {
            Value::Object(
                c.config
                    .exposed_ports
                    .iter()
                    .map(|p| (p.clone(), json!({})))
                    .collect(),
            )
        };
        let port_bindings = Value::Object(
            c.host_config
                .port_bindings
                .iter()
                .map(|(k, bs)| {
                    (
                        k.clone(),
                        Value::Array(
                            bs.iter()
                                .map(|b| json!({"HostIp": b.host_ip, "HostPort": b.host_port}))
                                .collect(),
                        ),
                    )
                })
                .collect(),
        );
        let resolv = format!("/var/lib/docker/containers/{}/resolv.conf", c.id);
        let host_config = json!({
            "Binds": null,
            "ContainerIDFile": "",
            "LogConfig": { "Type": "json-file", "Config": {} },
            "NetworkMode": c.host_config.network_mode,
            "PortBindings": port_bindings,
            "RestartPolicy": { "Name": "no", "MaximumRetryCount": 0 },
            "AutoRemove": c.host_config.auto_remove,
            "VolumeDriver": "",
            "VolumesFrom": null,
            "ConsoleSize": [0, 0],
            "CapAdd": string_list_or_null(&c.host_config.cap_add),
            "CapDrop": string_list_or_null(&c.host_config.cap_drop),
            "CgroupnsMode": "private",
            "Dns": [],
            "DnsOptions": [],
            "DnsSearch": [],
            "ExtraHosts": null,
            "GroupAdd": null,
            "IpcMode": "private",
            "Cgroup": "",
            "Links": string_list_or_null(&c.host_config.links),
            "OomScoreAdj": 0,
            "PidMode": "",
            "Privileged": c.host_config.privileged,
            "PublishAllPorts": c.host_config.publish_all_ports,
            "ReadonlyRootfs": false,
            "SecurityOpt": null,
            "UTSMode": "",
            "UsernsMode": "",
            "ShmSize": 67108864,
            "Runtime": "runc",
            "Isolation": "",
            "CpuShares": 0,
            "Memory": 0,
            "NanoCpus": 0,
            "CgroupParent": "",
            "BlkioWeight": 0,
            "BlkioWeightDevice": [],
            "BlkioDeviceReadBps": [],
            "BlkioDeviceWriteBps": [],
            "BlkioDeviceReadIOps": [],
            "BlkioDeviceWriteIOps": [],
            "CpuPeriod": 0,
            "CpuQuota": 0,
            "CpuRealtimePeriod": 0,
            "CpuRealtimeRuntime": 0,
            "CpusetCpus": "",
            "CpusetMems": "",
            "Devices": [],
            "DeviceCgroupRules": null,
            "DeviceRequests": null,
            "MemoryReservation": 0,
            "MemorySwap": 0,
            "MemorySwappiness": null,
            "OomKillDisable": null,
            "PidsLimit": null,
            "Ulimits": [],
            "CpuCount": 0,
            "CpuPercent": 0,
            "IOMaximumIOps": 0,
            "IOMaximumBandwidth": 0,
            // A privileged container masks nothing and mounts nothing read only
            // (daemon/create_unix.go `createContainerOSSpecificSettings`).
            "MaskedPaths": if c.host_config.privileged { Value::Null } else { json!([
                "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore",
                "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
                "/sys/devices/virtual/powercap"
            ]) },
            "ReadonlyPaths": if c.host_config.privileged { Value::Null } else { json!([
                "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
            ]) },
        });
        // `Sysctls` (omitempty) comes after `ShmSize`.
        let host_config = match host_config {
            Value::Object(m) if !c.host_config.sysctls.is_empty() => {
                let mut out = serde_json::Map::new();
                for (k, v) in m {
                    let shm = k == "ShmSize";
                    out.insert(k, v);
                    if shm {
                        out.insert("Sysctls".into(), json!(c.host_config.sysctls));
                    }
                }
                Value::Object(out)
            }
            other => other,
        };
        let mut v = json!({
            "Id": c.id,
            "Created": c.created.rfc3339_nano(),
            "Path": c.path(),
            "Args": c.args(),
            "State": {
                "Status": c.state.status.as_str(),
                "Running": c.state.status == Status::Running,
                "Paused": false,
                "Restarting": false,
                "OOMKilled": false,
                "Dead": false,
                "Pid": c.state.pid,
                "ExitCode": c.state.exit_code,
                "Error": c.state.error,
                "StartedAt": time(c.state.started_at),
                "FinishedAt": time(c.state.finished_at),
            },
            "Image": image_id(&c.config.image),
            "ResolvConfPath": resolv,
            "HostnamePath": format!("/var/lib/docker/containers/{}/hostname", c.id),
            "HostsPath": format!("/var/lib/docker/containers/{}/hosts", c.id),
            "LogPath": format!("/var/lib/docker/containers/{}/{}-json.log", c.id, c.id),
            "Name": format!("/{}", c.name),
            "RestartCount": 0,
            "Driver": "overlay2",
            "Platform": "linux",
            "MountLabel": "",
            "ProcessLabel": "",
            "AppArmorProfile": "",
            "ExecIDs": null,
            "HostConfig": host_config,
            "GraphDriver": { "Data": null, "Name": "overlayfs" },
            "Mounts": [],
            "Config": {
                "Hostname": c.config.hostname,
                "Domainname": "",
                "User": c.config.user,
                "AttachStdin": c.config.attach && c.config.open_stdin,
                "AttachStdout": c.config.attach,
                "AttachStderr": c.config.attach,
                "ExposedPorts": exposed,
                "Tty": c.config.tty,
                "OpenStdin": c.config.open_stdin,
                "StdinOnce": c.config.attach && c.config.open_stdin,
                "Env": c.config.env,
                "Cmd": string_list_or_null(&c.config.cmd),
                "Image": c.config.image,
                "Volumes": null,
                "WorkingDir": self.image(&c.config.image).map_or("", |i| i.workdir),
                "Entrypoint": string_list_or_null(&c.config.entrypoint),
                "OnBuild": null,
                "Labels": string_map(&c.config.labels),
            },
            "NetworkSettings": {
                "Bridge": "",
                "SandboxID": sandbox,
                "SandboxKey": sandbox_key,
                "Ports": self.ports_json(c),
                "HairpinMode": false,
                "LinkLocalIPv6Address": "",
                "LinkLocalIPv6PrefixLen": 0,
                "SecondaryIPAddresses": null,
                "SecondaryIPv6Addresses": null,
                "EndpointID": leg("EndpointID"),
                "Gateway": leg("Gateway"),
                "GlobalIPv6Address": leg("GlobalIPv6Address"),
                "GlobalIPv6PrefixLen": leg("GlobalIPv6PrefixLen"),
                "IPAddress": leg("IPAddress"),
                "IPPrefixLen": leg("IPPrefixLen"),
                "IPv6Gateway": leg("IPv6Gateway"),
                "MacAddress": leg("MacAddress"),
                "Networks": self.networks_json(c),
            },
        });
        // `ExposedPorts` is omitempty.
        if c.config.exposed_ports.is_empty()
            && let Some(config) = v.get_mut("Config").and_then(Value::as_object_mut)
        {
            config.shift_remove("ExposedPorts");
        }
        // `StopSignal` (omitempty), the image's as create copies it.
        let stop = self.image(&c.config.image).map_or("", |i| i.stop_signal);
        if !stop.is_empty()
            && let Some(config) = v.get_mut("Config").and_then(Value::as_object_mut)
        {
            config.insert("StopSignal".into(), json!(stop));
        }
        v
    }
}

impl Daemon {
    /// One `GET /containers/json` entry: `container.Summary` (moby v28 `daemon/list.go`
    /// `refreshImage`/`transformContainer`), in Go's field order.
    ///
    /// With `size` (`GET /containers/json?size=1`), `SizeRw` and `SizeRootFs` (the image's
    /// size: nothing is ever written), both `omitempty` in moby's `container.Summary`.
    pub fn container_summary(&self, c: &Container, size: bool) -> Value {
        let mut names = vec![format!("/{}", c.name)];
        // Legacy links name the target as `/parent/alias` too.
        for p in self.state.containers.values() {
            for l in &p.host_config.links {
                if let Some((t, alias)) = l.split_once(':')
                    && t == format!("/{}", c.name)
                {
                    names.push(alias.to_string());
                }
            }
        }
        let mut sorted: Vec<(&String, &Vec<_>)> = c.ports.iter().collect();
        sorted.sort_by_key(|(k, _)| super::container::port_sort_key(k));
        let mut ports = Vec::new();
        for (k, bs) in sorted {
            let (private, _) = super::container::port_sort_key(k);
            let proto = super::container::proto_of(k);
            if bs.is_empty() {
                ports.push(json!({"PrivatePort": private, "Type": proto}));
            }
            for b in bs {
                let mut m = Map::new();
                if !b.host_ip.is_empty() {
                    m.insert("IP".into(), json!(b.host_ip));
                }
                m.insert("PrivatePort".into(), json!(private));
                if let Ok(p) = b.host_port.parse::<u16>()
                    && p != 0
                {
                    m.insert("PublicPort".into(), json!(p));
                }
                m.insert("Type".into(), json!(proto));
                ports.push(Value::Object(m));
            }
        }
        let mut v = json!({
            "Id": c.id,
            "Names": names,
            "Image": c.config.image,
            "ImageID": image_id(&c.config.image),
            "Command": c.command_line(),
            "Created": c.created.unix_secs(),
            "Ports": ports,
            "Labels": string_map(&c.config.labels),
            "State": c.state.status.as_str(),
            "Status": self.container_status_text(c),
            "HostConfig": { "NetworkMode": c.host_config.network_mode },
            "NetworkSettings": { "Networks": self.networks_json(c) },
            "Mounts": [],
        });
        let root_fs = super::image::size(&c.config.image);
        if size
            && root_fs > 0
            && let Some(m) = v.as_object_mut()
        {
            let at = m
                .keys()
                .position(|k| k == "Ports")
                .map_or(m.len(), |p| p + 1);
            m.shift_insert(at, "SizeRootFs".into(), json!(root_fs));
        }
        v
    }

    /// `GET /images/{name}/json` for the images vnet knows (`image::is_known`): the
    /// defaults a container of it gets, in `image.InspectResponse`'s order.
    pub fn image_inspect(&self, term: &str) -> Option<Value> {
        let name = self.resolve_image(term)?;
        let reference = name.as_str();
        let img = self.image(reference)?;
        // moby 28's `DockerOCIImageConfig`: the OCI image config's fields in its order,
        // each omitted when empty.
        let mut config = Map::new();
        let mut put = |key: &str, v: Value, empty: bool| {
            if !empty {
                config.insert(key.into(), v);
            }
        };
        let exposed: Map<String, Value> = img
            .exposed
            .iter()
            .map(|p| (p.to_string(), json!({})))
            .collect();
        put("ExposedPorts", json!(exposed), img.exposed.is_empty());
        put("Env", json!(img.env), img.env.is_empty());
        put(
            "Entrypoint",
            json!(img.entrypoint),
            img.entrypoint.is_empty(),
        );
        put("Cmd", json!(img.cmd), img.cmd.is_empty());
        put("WorkingDir", json!(img.workdir), img.workdir.is_empty());
        let labels: Map<String, Value> = img
            .labels
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        put("Labels", json!(labels), img.labels.is_empty());
        put(
            "StopSignal",
            json!(img.stop_signal),
            img.stop_signal.is_empty(),
        );
        let config = Value::Object(config);
        Some(json!({
            "Id": image_id(reference),
            "RepoTags": [super::image::familiar_tagged(reference)],
            "RepoDigests": [],
            "Parent": "",
            "Comment": "",
            "Created": crate::time::EPOCH.rfc3339_nano(),
            "DockerVersion": "",
            "Author": "",
            "Config": config,
            "Architecture": "amd64",
            "Os": "linux",
            "Size": super::image::size(reference),
            "GraphDriver": { "Data": null, "Name": "overlayfs" },
            "RootFS": { "Type": "layers" },
            "Metadata": { "LastTagTime": ZERO_TIME },
        }))
    }
}

/// The image ID vnet shows for a reference (no image is stored: it is derived from the name,
/// the same for every spelling of it: `busybox`, `busybox:latest`, `docker.io/library/busybox`).
pub fn image_id(reference: &str) -> String {
    let tagged = super::image::familiar_tagged(reference);
    let name = tagged.strip_suffix(":latest").unwrap_or(&tagged);
    format!("sha256:{}", crate::rng::hex_id(0, &format!("image/{name}")))
}
