//! Containers: create, start, stop, kill, restart, remove, rename, prune, logs, stats, top,
//! and the users their processes run as.
//!
//! Mirrors moby v28.5.2 `daemon/create.go`, `start.go`, `stop.go`, `kill.go`, `delete.go`,
//! `rename.go`, `names.go`, `prune.go`, `logs.go`, `stats.go`, `top_unix.go` and the network half of
//! `container_operations.go` (`allocateNetwork`, `releaseNetwork`). A container's "process"
//! is its state (running or not, exit code, what it logged); its command runs in
//! `busybox` (`start_detached`, `run_main`), which ends it through [`Daemon::container_exit`].
//!
//! This file holds the container object and lookups (`GetContainer`); one file per moby file
//! for the rest: `create.rs`, `start.rs` (with the networking a start sets up), `stop.rs`
//! (stop, kill, restart, exits), `delete.rs` (rm, prune), `rename.rs`, `list.rs`
//! (`docker ps`), `logs.rs`, `stats.rs`, `top.rs`, `user.rs` (moby/sys/user's lookup).

use super::Daemon;
use super::error::{Error, Result};
use super::image;
use super::network::{Driver, EndpointSettings, validate_endpoint_settings};
use crate::time::{Duration, Instant};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use logs::{ENTRY_OVERHEAD, LogLine, LogStream, Logs, LogsOptions, MAX_LOG_BYTES};
pub use stop::parse_signal;
pub use top::{PsEntry, Top};

mod create;
mod delete;
pub mod fs;
mod list;
mod logs;
mod rename;
mod start;
mod stats;
mod stop;
mod top;
pub mod user;

/// A container's lifecycle state (`State.Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Created, never started.
    Created,
    /// Running.
    Running,
    /// Stopped after running.
    Exited,
}

impl Status {
    /// The word Docker uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Exited => "exited",
        }
    }
}

/// One host binding of a published port (`PortBinding`).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PortBinding {
    /// `HostIp`: empty means the network's `host_binding_ipv4`.
    pub host_ip: String,
    /// `HostPort`: empty means an ephemeral port.
    pub host_port: String,
}

/// The body of `POST /containers/create` (the parts vnet models).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerCreateRequest {
    /// `--name`; generated when absent.
    pub name: Option<String>,
    /// The image reference.
    pub image: String,
    /// The command after the image; the image's `CMD` when empty.
    pub cmd: Vec<String>,
    /// `-h`.
    pub hostname: String,
    /// `-e`.
    pub env: Vec<String>,
    /// `-t`.
    pub tty: bool,
    /// `-i`.
    pub open_stdin: bool,
    /// Not `-d`: the client attaches to stdout and stderr.
    pub attach: bool,
    /// `--network`; `default` when empty.
    pub network_mode: String,
    /// `-p`, by `port/proto`.
    pub port_bindings: BTreeMap<String, Vec<PortBinding>>,
    /// `-P`.
    pub publish_all_ports: bool,
    /// `--expose`, `port/proto`.
    pub exposed_ports: Vec<String>,
    /// `--link` (the legacy links of the default bridge), `target:alias`.
    pub links: Vec<String>,
    /// `NetworkingConfig.EndpointsConfig`.
    pub endpoints: IndexMap<String, EndpointSettings>,
    /// `--cap-add`, as given.
    pub cap_add: Vec<String>,
    /// `--cap-drop`, as given.
    pub cap_drop: Vec<String>,
    /// `--sysctl`.
    pub sysctls: BTreeMap<String, String>,
    /// `--privileged`.
    pub privileged: bool,
    /// `--label`, `--label-file` (`Config.Labels`).
    pub labels: BTreeMap<String, String>,
    /// `--rm` (`HostConfig.AutoRemove`).
    pub auto_remove: bool,
    /// `-u` (`Config.User`).
    pub user: String,
}

/// `Config`: what the container runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Hostname.
    pub hostname: String,
    /// Environment.
    pub env: Vec<String>,
    /// `CMD`.
    pub cmd: Vec<String>,
    /// `ENTRYPOINT`.
    pub entrypoint: Vec<String>,
    /// The image reference as given.
    pub image: String,
    /// `-t`.
    pub tty: bool,
    /// `-i`.
    pub open_stdin: bool,
    /// Attached to the client's output.
    pub attach: bool,
    /// Exposed ports, `port/proto`, sorted.
    pub exposed_ports: Vec<String>,
    /// `Labels`: the image's, then `--label-file`'s and `--label`'s over them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `User` (`-u`): who its command runs as, `NAME|UID[:GROUP|GID]`; empty is root.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
}

/// `HostConfig.NetworkMode` (moby's `container.NetworkMode`), stored and shown as its string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum NetworkMode {
    /// `bridge` (also what `default` and an empty mode mean).
    Bridge,
    /// `host`: the host's namespace.
    Host,
    /// `none`: loopback only.
    None,
    /// `container:NAME|ID`: another container's namespace.
    Container(String),
    /// A user-defined network, by the name or ID given.
    Network(String),
}

impl NetworkMode {
    /// The mode's string, as inspect shows it.
    pub fn as_str(&self) -> &str {
        match self {
            NetworkMode::Bridge => "bridge",
            NetworkMode::Host => "host",
            NetworkMode::None => "none",
            NetworkMode::Container(s) | NetworkMode::Network(s) => s,
        }
    }

    /// `IsUserDefined`: neither a predefined network nor another container's namespace.
    pub fn is_user_defined(&self) -> bool {
        matches!(self, NetworkMode::Network(_))
    }
}

impl From<&str> for NetworkMode {
    fn from(s: &str) -> NetworkMode {
        match s {
            "" | "default" | "bridge" => NetworkMode::Bridge,
            "host" => NetworkMode::Host,
            "none" => NetworkMode::None,
            c if c.starts_with("container:") => NetworkMode::Container(c.to_string()),
            n => NetworkMode::Network(n.to_string()),
        }
    }
}

impl From<String> for NetworkMode {
    fn from(s: String) -> NetworkMode {
        NetworkMode::from(s.as_str())
    }
}

impl From<NetworkMode> for String {
    fn from(m: NetworkMode) -> String {
        match m {
            NetworkMode::Container(s) | NetworkMode::Network(s) => s,
            other => other.as_str().to_string(),
        }
    }
}

/// `HostConfig`: how the container is wired to the host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostConfig {
    /// `bridge`, `host`, `none`, `container:ID` or a network name.
    pub network_mode: NetworkMode,
    /// `-p`.
    pub port_bindings: BTreeMap<String, Vec<PortBinding>>,
    /// `-P`.
    pub publish_all_ports: bool,
    /// Legacy links, stored as `/target:/name/alias`.
    pub links: Vec<String>,
    /// `CapAdd`, as the client gave them (moby normalizes them only to check them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    /// `CapDrop`, as given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    /// `Sysctls`: namespaced kernel parameters set when the container starts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctls: BTreeMap<String, String>,
    /// `Privileged`: every capability, `/proc/sys` writable.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub privileged: bool,
    /// `AutoRemove` (`--rm`): removed when it exits.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_remove: bool,
}

/// `State`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    /// Lifecycle.
    pub status: Status,
    /// A process ID while running.
    pub pid: u32,
    /// The last exit code.
    pub exit_code: i32,
    /// The last start failure.
    pub error: String,
    /// Last start.
    pub started_at: Option<Instant>,
    /// Last stop.
    pub finished_at: Option<Instant>,
}

/// A container.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    /// 64-hex ID.
    pub id: String,
    /// Name without the leading `/`.
    pub name: String,
    /// Creation time.
    pub created: Instant,
    /// What runs.
    pub config: Config,
    /// Host wiring.
    pub host_config: HostConfig,
    /// Lifecycle.
    pub state: RunState,
    /// Networks by name (`NetworkSettings.Networks`), in attach order: eth0, eth1, ...
    pub networks: IndexMap<String, EndpointSettings>,
    /// The endpoint libnetwork adds on `docker_gwbridge` while the container's networks give
    /// it no default gateway (overlay ones): not one of `NetworkSettings.Networks`, an
    /// interface all the same (see `docker/network/gateway.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_endpoint: Option<EndpointSettings>,
    /// Published ports while running: `port/proto` → bindings (empty: exposed only).
    pub ports: BTreeMap<String, Vec<PortBinding>>,
    /// The loopback interface's counters while running.
    #[serde(default)]
    pub lo: super::network::InterfaceCounters,
    /// Legacy links' environment, fixed when the container started.
    #[serde(default)]
    pub link_env: Vec<String>,
    /// Legacy links' `/etc/hosts` lines: (child, address, names), written at start.
    #[serde(default)]
    pub link_hosts: Vec<(String, std::net::Ipv4Addr, String)>,
    /// The next interface index of the running container's network namespace.
    #[serde(default)]
    pub next_ifindex: u32,
    /// Whether the running container's sandbox started the embedded resolver: it joined a
    /// user-defined network since it started. libnetwork starts it once per sandbox
    /// (`sandbox_dns_unix.go` `startResolver`, `resolverOnce`) and rewrites resolv.conf to
    /// 127.0.0.11 then; leaving that network rewrites nothing (`sandbox.go`
    /// `clearNetworkResources`), so only a new sandbox (the next start) goes back. Absent
    /// from the state file when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resolver: bool,
    /// The routes `ip route add` put in the running container's namespace (a new
    /// namespace, at the next start, has none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<StaticRoute>,
    /// `ip route del default` took Docker's default route away (until the next start).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_default_route: bool,
    /// The addresses `ip addr add` gave its interfaces (until the next start).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<AddedAddress>,
    /// `net.ipv4.ip_forward` as `sysctl -w` set it in a privileged container (until the
    /// next start, whose namespace takes `--sysctl`'s again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_forward_set: Option<i32>,
    /// Who its command runs as, looked up as it started (its `User`; root when `None`):
    /// the process keeps it whatever is written to `/etc/passwd` later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_user: Option<user::ExecUser>,
    /// Its interfaces `ip link set DEV down` took down (until the next start).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links_down: Vec<String>,
    /// Its interfaces that lost their global IPv6 address, and the IPv6 routes through it,
    /// when a link went down (the kernel's `keep_addr_on_down=0`; until the next start).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipv6_flushed: Vec<String>,
    /// Servers started in it (`docker exec -d nc -l`, `httpd`), listening until it stops.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<Process>,
    /// Packet captures left running in it (`tcpdump ... > FILE &`, `exec -d tcpdump`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub captures: Vec<Capture>,
    /// Its writable layer: what commands wrote in it (kept across restarts).
    #[serde(default, skip_serializing_if = "is_empty_layer")]
    pub layer: fs::Layer,
    /// What its main process printed (`docker logs`), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<LogLine>,
    /// How many entries it has logged since it was created (the last of `logs` is this
    /// one): where a reader following the log has got to.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub logged: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What a running container serves, as a command's world starts it on the container's
/// interfaces (see `servers`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Served {
    /// The container's ID (what its servers share across its interfaces is kept under it).
    pub id: String,
    /// TCP servers by port: its programs' (`exec -d`), then its image's when it runs the
    /// image's own command (`docker run redis`, not `docker run redis sh`).
    pub tcp: Vec<(u16, image::Service)>,
    /// UDP servers by port (`nc -lu`).
    pub udp: Vec<(u16, image::Service)>,
    /// The directory busybox `httpd` serves on each of its ports.
    pub homes: Vec<(u16, String)>,
    /// Its writable layer, when an `httpd` serves files from it.
    pub layer: Option<fs::Layer>,
}

impl Container {
    /// What it serves while it runs, with `img` the image its host resolves its own to.
    pub fn served(&self, img: Option<&image::Image>) -> Served {
        let mut out = Served {
            id: self.id.clone(),
            ..Served::default()
        };
        if !self.is_running() {
            return out;
        }
        for p in &self.processes {
            out.tcp.extend(p.listens.iter().copied());
            out.udp.extend(p.udp.iter().copied());
            if let Some(home) = &p.home {
                for (port, s) in &p.listens {
                    if *s == image::Service::BusyboxHttpd {
                        out.homes.push((*port, home.clone()));
                    }
                }
            }
        }
        if let Some(img) = img {
            let own = self
                .config
                .cmd
                .iter()
                .map(String::as_str)
                .eq(img.cmd.iter().map(String::as_str))
                && self
                    .config
                    .entrypoint
                    .iter()
                    .map(String::as_str)
                    .eq(img.entrypoint.iter().copied());
            if own {
                for &(port, service) in &img.listens {
                    if !out.tcp.iter().any(|(p, _)| *p == port) {
                        out.tcp.push((port, service));
                    }
                }
            }
        }
        if !out.homes.is_empty() {
            out.layer = Some(self.layer.clone());
        }
        out
    }
}

/// A program `docker exec -d` left running in a container, and the TCP ports it listens on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    /// Its command line.
    pub argv: Vec<String>,
    /// What it serves, by port, on every address of the container.
    pub listens: Vec<(u16, super::image::Service)>,
    /// What it serves on UDP ports (an echo or a sink).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub udp: Vec<(u16, super::image::Service)>,
    /// Whether it serves client after client (`nc -lk -e`); else it ends once its first TCP
    /// client came.
    #[serde(default)]
    pub persistent: bool,
    /// The directory it serves files from (busybox `httpd -h`), absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
    /// It bound IPv4's wildcard (`httpd -p 0.0.0.0:PORT`), not `::` (both families).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ipv4_only: bool,
    /// Its process ID on the host (`docker top`), given as it was left running.
    #[serde(default, skip_serializing_if = "is_zero_pid")]
    pub pid: u32,
    /// When it started (`docker top`'s STIME).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<Instant>,
    /// The user it runs as (`docker top`'s UID).
    #[serde(default, skip_serializing_if = "is_zero_pid")]
    pub uid: u32,
}

fn is_zero_pid(n: &u32) -> bool {
    *n == 0
}

/// A packet capture left running in a container after the command that started it ended
/// (`tcpdump -l ... > FILE &`, `docker exec -d c tcpdump ...`). The frames its interface
/// sends and receives, whoever's command causes them, wait here until a command runs in the
/// container, which prints them where the capture's output goes: the program itself is the
/// applet's ([`crate::busybox`]), kept here as `program`, which only it reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    /// The program's state: its options, filter, counts and output.
    pub program: String,
    /// The ID of the network whose interface it captures on.
    pub network: String,
    /// Frames seen and not printed yet, at most [`CAPTURE_BYTES`] of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<CapturedFrame>,
    /// The bytes of `frames`.
    #[serde(default)]
    pub bytes: usize,
    /// Frames that found `frames` full (tcpdump's "dropped by kernel").
    #[serde(default)]
    pub dropped: u64,
    /// How it ended, once it did: the frames it still holds are printed all the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<CaptureEnd>,
    /// Its command line (`docker top`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    /// Its process ID on the host.
    #[serde(default, skip_serializing_if = "is_zero_pid")]
    pub pid: u32,
    /// When it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<Instant>,
    /// The user it runs as.
    #[serde(default, skip_serializing_if = "is_zero_pid")]
    pub uid: u32,
}

/// How a background capture ended before reaching its count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaptureEnd {
    /// The container stopped: the kernel killed it (SIGKILL), so what its C library still
    /// buffered is lost.
    Killed,
    /// Its interface went (`network disconnect`): it exits, flushing its output.
    Exited,
}

/// One frame a background capture saw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedFrame {
    /// When the interface sent or received it.
    pub at: Instant,
    /// The Ethernet frame, in hex in the state (a tenth of a JSON array's size).
    #[serde(with = "hex_bytes")]
    pub frame: Vec<u8>,
}

/// Frame bytes one background capture holds until a command in its container prints them:
/// libpcap's buffer on Linux (2 MiB); past it frames are counted as dropped.
pub const CAPTURE_BYTES: usize = 2 << 20;

/// Captures one container may leave running (vnet's bound).
pub const MAX_CAPTURES: usize = 8;

/// Bytes as a hex string in the state file.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        use std::fmt::Write;
        let mut out = String::with_capacity(b.len() * 2);
        for x in b {
            let _ = write!(out, "{x:02x}");
        }
        s.serialize_str(&out)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let digit = |c: u8| (c as char).to_digit(16);
        s.as_bytes()
            .chunks(2)
            .map(|p| match p {
                [a, b] => match (digit(*a), digit(*b)) {
                    (Some(a), Some(b)) => Ok((a * 16 + b) as u8),
                    _ => Err(D::Error::custom("a frame's bytes are not hex")),
                },
                _ => Err(D::Error::custom("a frame's hex has an odd length")),
            })
            .collect()
    }
}

/// An integer as the kernel reads one written to a sysctl file (proc_dointvec,
/// kernel/sysctl.c `proc_get_long` and `do_proc_dointvec_conv`): blanks, an optional `-`,
/// a number in C's notation (`0x10`, `010`), then a blank or the end, within an `int`;
/// what follows a blank is not read. `None` is the kernel's EINVAL.
pub fn proc_int(text: &str) -> Option<i32> {
    let t = text.trim_start_matches([' ', '\t', '\n']);
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let end = t.find(|c: char| c.is_ascii_whitespace()).unwrap_or(t.len());
    let (num, _) = t.split_at(end);
    let (digits, radix) = if let Some(h) = num.strip_prefix("0x").or(num.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(o) = num.strip_prefix('0').filter(|o| !o.is_empty()) {
        (o, 8)
    } else {
        (num, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        (v <= 1 << 31).then(|| (-(v as i64)) as i32)
    } else {
        i32::try_from(v).ok()
    }
}

fn is_empty_layer(l: &fs::Layer) -> bool {
    l.files.is_empty() && l.dirs.is_empty()
}

/// Programs `exec -d` may leave running in one container (vnet's bound).
pub const MAX_PROCESSES: usize = 64;

/// An address added inside a container (`ip addr add ADDR/LEN dev DEV`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedAddress {
    /// The interface (`eth0`, ...).
    pub dev: String,
    /// The address.
    pub ip: std::net::Ipv4Addr,
    /// Its prefix length.
    pub len: u8,
}

/// Addresses `ip addr add` may give one interface (vnet's bound: its stack holds eight).
pub const MAX_ADDED_ADDRESSES: usize = 7;

/// A route added inside a container (`ip route add DST [via GW] [dev DEV]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticRoute {
    /// The destination network's address.
    pub dst: std::net::Ipv4Addr,
    /// Its prefix length (0: the default route).
    pub len: u8,
    /// The next hop, if the route has one (else the destination is on the link).
    pub via: Option<std::net::Ipv4Addr>,
    /// The interface it leaves by (`eth0`, ...).
    pub dev: String,
}

/// The capabilities a container may add or drop: Linux's (capabilities(7)), as moby's
/// `caps.NormalizeLegacyCapabilities` checks them.
pub const CAPABILITIES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// The capabilities a container's root processes hold by default (moby's
/// `oci/caps.DefaultCapabilities`).
pub const DEFAULT_CAPABILITIES: [&str; 14] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// moby's `NormalizeLegacyCapabilities`: upper case, `CAP_` in front (but `ALL`); the first
/// unknown one is the error.
pub fn normalize_capabilities(caps: &[String]) -> std::result::Result<Vec<String>, String> {
    caps.iter()
        .map(|c| {
            let c = c.to_uppercase();
            if c == "ALL" {
                return Ok(c);
            }
            let c = if c.starts_with("CAP_") {
                c
            } else {
                format!("CAP_{c}")
            };
            if CAPABILITIES.contains(&c.as_str()) {
                Ok(c)
            } else {
                Err(format!("unknown capability: {c:?}"))
            }
        })
        .collect()
}

impl Container {
    /// Its network namespace is gone (the container stopped, or the daemon died): no
    /// endpoints, published ports, resolver, routes added, links taken down or programs
    /// left running; the next start makes a fresh one.
    pub(crate) fn forget_namespace(&mut self) {
        for s in self.networks.values_mut() {
            s.endpoint_id = None;
            s.ifname = None;
        }
        self.gateway_endpoint = None;
        self.ports.clear();
        self.resolver = false;
        self.routes.clear();
        self.addresses.clear();
        self.processes.clear();
        // What the captures saw is still printed (by the next command in the container).
        for k in &mut self.captures {
            k.ended.get_or_insert(CaptureEnd::Killed);
        }
        self.links_down.clear();
        self.ipv6_flushed.clear();
        self.ip_forward_set = None;
        self.no_default_route = false;
    }

    /// Its interface `dev` on network `nid` went (a disconnect): the captures on it end as
    /// tcpdump does, and what commands set on it goes with it (its name is not used again
    /// until the next start).
    pub(crate) fn interface_gone(&mut self, nid: &str, dev: Option<&str>) {
        for k in self.captures.iter_mut().filter(|k| k.network == nid) {
            k.ended.get_or_insert(CaptureEnd::Exited);
        }
        if let Some(dev) = dev {
            self.addresses.retain(|a| a.dev != dev);
            self.routes.retain(|r| r.dev != dev);
            self.links_down.retain(|d| d != dev);
            self.ipv6_flushed.retain(|d| d != dev);
        }
    }

    /// Clients came to its TCP `ports`: the programs there that serve one client (`nc -l`
    /// without `-k -e`) are gone.
    pub(crate) fn clients_came(&mut self, ports: &[u16]) {
        self.processes
            .retain(|p| p.persistent || !p.listens.iter().any(|(port, _)| ports.contains(port)));
    }

    /// Its sandbox's endpoints: one per network of `NetworkSettings.Networks`, then the
    /// `docker_gwbridge` one if libnetwork added it.
    pub fn endpoints(&self) -> impl Iterator<Item = &EndpointSettings> {
        self.networks.values().chain(self.gateway_endpoint.iter())
    }

    /// Whether it has `CAP_NET_ADMIN` (not in Docker's default set).
    pub fn net_admin(&self) -> bool {
        self.has_capability("CAP_NET_ADMIN")
    }

    /// Whether its processes running as root hold capability `cap` (`CAP_NET_RAW`), as
    /// moby's `caps.TweakCapabilities` decides: a privileged container has every one;
    /// `--cap-add ALL` every one but those dropped; `--cap-drop ALL` only those added;
    /// else Docker's default set, less those dropped, with those added (an added one
    /// stays, whatever is dropped).
    pub fn has_capability(&self, cap: &str) -> bool {
        if self.host_config.privileged {
            return true;
        }
        let (Ok(add), Ok(drop)) = (
            normalize_capabilities(&self.host_config.cap_add),
            normalize_capabilities(&self.host_config.cap_drop),
        ) else {
            return false;
        };
        let has = |caps: &[String], c: &str| caps.iter().any(|x| x == c);
        if has(&add, "ALL") {
            !has(&drop, cap)
        } else if has(&add, cap) {
            true
        } else {
            !has(&drop, "ALL") && !has(&drop, cap) && DEFAULT_CAPABILITIES.contains(&cap)
        }
    }

    /// `net.ipv4.ip_forward` in its namespace: off unless `--sysctl` turned it on (or
    /// `sysctl -w` in a privileged container).
    pub fn ip_forward(&self) -> bool {
        self.ip_forward_value() != 0
    }

    /// The value `/proc/sys/net/ipv4/ip_forward` holds: what `sysctl -w` wrote since the
    /// container started, else what `--sysctl` gave (runc writes it as the kernel reads
    /// it, see [`proc_int`]), else 0.
    pub fn ip_forward_value(&self) -> i32 {
        self.ip_forward_set.unwrap_or_else(|| {
            self.host_config
                .sysctls
                .get("net.ipv4.ip_forward")
                .and_then(|v| proc_int(v))
                .unwrap_or(0)
        })
    }

    /// Whether it runs.
    pub fn is_running(&self) -> bool {
        self.state.status == Status::Running
    }
    /// The 12-character short ID.
    pub fn short_id(&self) -> &str {
        crate::docker::short(&self.id)
    }
    /// `Path`: the first word of entrypoint + cmd.
    pub fn path(&self) -> String {
        self.argv().first().cloned().unwrap_or_default()
    }
    /// `Args`: the rest.
    pub fn args(&self) -> Vec<String> {
        self.argv().into_iter().skip(1).collect()
    }
    /// `ContainerSummary.Command`: `Path` and `Args`, an argument with a space in single
    /// quotes (daemon/list.go).
    pub fn command_line(&self) -> String {
        let args: Vec<String> = self
            .args()
            .into_iter()
            .map(|a| if a.contains(' ') { format!("'{a}'") } else { a })
            .collect();
        if args.is_empty() {
            self.path()
        } else {
            format!("{} {}", self.path(), args.join(" "))
        }
    }
    /// The host process ID the next process started in it gets: Linux hands them out in
    /// order, so the one after the highest it holds.
    pub fn next_pid(&self) -> u32 {
        let held = self.processes.iter().map(|p| p.pid);
        let held = held.chain(self.captures.iter().map(|c| c.pid));
        held.fold(self.state.pid, u32::max).saturating_add(1)
    }
    /// Its main process's ID, when no program left running holds it yet: the main command
    /// gives it to the first one (the program sh execs).
    pub fn main_pid_free(&self) -> Option<u32> {
        let pid = self.state.pid;
        let held = self.processes.iter().any(|p| p.pid == pid)
            || self.captures.iter().any(|k| k.pid == pid);
        (!held).then_some(pid)
    }
    pub(crate) fn argv(&self) -> Vec<String> {
        self.config
            .entrypoint
            .iter()
            .chain(self.config.cmd.iter())
            .cloned()
            .collect()
    }
}

/// `validContainerNamePattern`: `^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`.
pub fn valid_container_name(name: &str) -> bool {
    let n = name.strip_prefix('/').unwrap_or(name);
    let mut chars = n.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && n.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

const ADJECTIVES: [&str; 24] = [
    "brave", "calm", "clever", "eager", "gentle", "happy", "jolly", "keen", "kind", "lucid",
    "merry", "nimble", "patient", "quiet", "quirky", "relaxed", "serene", "sharp", "steady",
    "sunny", "swift", "tender", "vibrant", "witty",
];
const SURNAMES: [&str; 24] = [
    "babbage", "bohr", "cerf", "curie", "dijkstra", "euler", "fermi", "gauss", "hamilton",
    "hopper", "kahn", "knuth", "lamport", "liskov", "lovelace", "metcalfe", "noether", "perlman",
    "postel", "ritchie", "shannon", "thompson", "turing", "wirth",
];

/// How long `docker stop` waits before SIGKILL by default.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The first ephemeral host port (Linux `ip_local_port_range` start, as Docker's allocator).
pub const EPHEMERAL_PORT_START: u16 = 32768;
/// The last ephemeral host port.
pub const EPHEMERAL_PORT_END: u16 = 60999;

impl Daemon {
    /// Finds a container as `GetContainer` does: full ID, then name, then unique ID prefix.
    pub fn find_container(&self, term: &str) -> Result<String> {
        if term.is_empty() {
            return Err(Error::no_such_container(term));
        }
        if self.state.containers.contains_key(term) {
            return Ok(term.to_string());
        }
        let name = term.strip_prefix('/').unwrap_or(term);
        if let Some(c) = self.name_owner(name) {
            return Ok(c.id.clone());
        }
        let hits: Vec<&String> = self
            .state
            .containers
            .keys()
            .filter(|id| id.starts_with(term))
            .collect();
        match hits.as_slice() {
            [] => Err(Error::no_such_container(term)),
            [id] => Ok((*id).clone()),
            _ => Err(Error::container_ambiguous(term)),
        }
    }

    /// A container by ID (one a lookup returned: "No such container" if it is not there).
    pub fn container(&self, id: &str) -> Result<&Container> {
        self.state.container(id)
    }

    /// A container by ID, if it still exists (it may have been removed meanwhile).
    pub fn get_container(&self, id: &str) -> Option<&Container> {
        self.state.containers.get(id)
    }

    /// Whether the container with this ID exists and runs.
    pub fn is_running(&self, id: &str) -> bool {
        self.get_container(id).is_some_and(|c| c.is_running())
    }

    fn name_owner(&self, name: &str) -> Option<&Container> {
        let id = self.state.names.get(name)?;
        self.state.containers.get(id)
    }
}

/// Whether the container's process ends as soon as it starts, and with what status: a shell
/// with no stdin to read (`docker run -d busybox`: `sh` reads EOF and exits 0; with `-t` it
/// reads the terminal dockerd holds open, and waits), `true`, `false`, `echo`. Everything
/// else runs until it is stopped.
pub fn exits_at_once(c: &Container) -> Option<i32> {
    let argv: Vec<&str> = c
        .config
        .entrypoint
        .iter()
        .chain(&c.config.cmd)
        .map(|s| s.as_str())
        .collect();
    let prog = argv.first()?.rsplit('/').next()?;
    match (prog, argv.len()) {
        ("sh" | "ash" | "bash", 1) if !c.config.open_stdin && !c.config.tty => Some(0),
        ("true", _) => Some(0),
        ("false", _) => Some(1),
        ("echo", _) => Some(0),
        _ => None,
    }
}

/// libbb's `BB_FATAL_SIGS`: the signals busybox programs that restore state on exit (`top`)
/// catch: HUP, INT, QUIT, ABRT, USR1, USR2, PIPE, ALRM, TERM, XCPU, XFSZ, VTALRM.
const BB_FATAL_SIGS: [u32; 12] = [1, 2, 3, 6, 10, 12, 13, 14, 15, 24, 25, 26];

impl Container {
    /// The status its command, as PID 1, exits with when signal `sig` reaches it, if that
    /// signal ends it. `top`: busybox's (the busybox and alpine images) catches libbb's
    /// fatal signals and, unable to die by its own `raise` as PID 1, exits 128 + the
    /// signal; procps-ng's (the other images) ends on ALRM, HUP, INT, PIPE, QUIT, TERM,
    /// USR1 and USR2 through `sig_endpgm`, status 0. Other programs as PID 1 get no signal
    /// they do not handle (an image's servers are the image's: see `exits_on_stop_signal`).
    pub fn main_exits_on(&self, sig: u32) -> Option<i32> {
        const PROCPS_ENDPGM: [u32; 8] = [14, 1, 2, 13, 3, 15, 10, 12];
        let argv = self.argv();
        if argv.first()?.rsplit('/').next()? != "top" {
            return None;
        }
        let tagged = super::image::familiar_tagged(&self.config.image);
        let repo = tagged.rsplit_once(':').map_or(tagged.as_str(), |(r, _)| r);
        if matches!(repo, "busybox" | "alpine") {
            BB_FATAL_SIGS.contains(&sig).then(|| 128 + sig as i32)
        } else {
            PROCPS_ENDPGM.contains(&sig).then_some(0)
        }
    }
}

/// `6379/tcp` → `tcp`.
pub fn proto_of(port: &str) -> &str {
    port.split_once('/').map_or("tcp", |(_, p)| p)
}

/// Ports sort by number, then protocol.
pub fn port_sort_key(port: &str) -> (u32, String) {
    let (n, p) = port.split_once('/').unwrap_or((port, "tcp"));
    (n.parse().unwrap_or(u32::MAX), p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_container_name("container1"));
        assert!(valid_container_name("/a.b-c_d"));
        assert!(!valid_container_name("a"));
        assert!(!valid_container_name("-ab"));
        assert!(!valid_container_name("bad name"));
    }

    /// moby's TweakCapabilities: the default set, less those dropped, with those added.
    #[test]
    fn capabilities_as_tweak_capabilities_makes_them() {
        let mut d = Daemon::new(1);
        let id = d
            .container_create(ContainerCreateRequest {
                image: "busybox".into(),
                ..Default::default()
            })
            .unwrap();
        let caps = |d: &mut Daemon, add: &[&str], drop: &[&str], privileged: bool| {
            let c = d.state.containers.get_mut(&id).unwrap();
            c.host_config.cap_add = add.iter().map(|s| s.to_string()).collect();
            c.host_config.cap_drop = drop.iter().map(|s| s.to_string()).collect();
            c.host_config.privileged = privileged;
            ["CAP_NET_RAW", "CAP_NET_ADMIN", "CAP_CHOWN"].map(|k| c.has_capability(k))
        };
        assert_eq!(caps(&mut d, &[], &[], false), [true, false, true]);
        assert_eq!(
            caps(&mut d, &["NET_ADMIN"], &["NET_RAW"], false),
            [false, true, true]
        );
        assert_eq!(
            caps(&mut d, &["net_raw"], &["ALL"], false),
            [true, false, false]
        );
        assert_eq!(
            caps(&mut d, &["ALL"], &["CAP_NET_RAW"], false),
            [false, true, true]
        );
        assert_eq!(
            caps(&mut d, &["NET_RAW"], &["NET_RAW"], false),
            [true, false, true]
        );
        assert_eq!(caps(&mut d, &[], &["ALL"], true), [true, true, true]);
    }

    /// What `sysctl -w net.ipv4.ip_forward=V` left in a network namespace (checked with
    /// busybox sysctl in one).
    #[test]
    fn sysctl_integers_as_the_kernel_reads_them() {
        for (text, v) in [
            ("1", Some(1)),
            (" 4 ", Some(4)),
            ("1 2", Some(1)),
            ("-1", Some(-1)),
            ("0x10", Some(16)),
            ("010", Some(8)),
            ("0", Some(0)),
            ("2147483647", Some(i32::MAX)),
            ("-2147483648", Some(i32::MIN)),
            ("abc", None),
            (" 3x", None),
            ("+5", None),
            ("99999999999", None),
            ("2147483648", None),
            ("08", None),
            ("0x", None),
            ("", None),
            ("-", None),
        ] {
            assert_eq!(proc_int(text), v, "{text:?}");
        }
    }

    #[test]
    fn a_captured_frame_keeps_its_bytes_in_hex() {
        let f = CapturedFrame {
            at: Instant(7),
            frame: vec![0, 1, 0xab, 0xff],
        };
        let json = serde_json::to_string(&f).unwrap();
        assert!(json.contains("\"0001abff\""), "{json}");
        assert_eq!(serde_json::from_str::<CapturedFrame>(&json).unwrap(), f);
        for bad in ["0g", "abc"] {
            let json = json.replace("0001abff", bad);
            assert!(serde_json::from_str::<CapturedFrame>(&json).is_err());
        }
    }
}
