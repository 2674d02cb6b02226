//! `network create|ls|inspect|rm|prune|connect|disconnect`, as docker/cli v28
//! (`cli/command/network/*.go`) parses and prints them.

use super::format::{self, Format};
use super::{Outcome, Want, arity, confirm};
use crate::docker::network::{EndpointIpamConfig, NetworkFilters};
use crate::docker::{Daemon, EndpointSettings, IpamConfig, NetworkCreateRequest, split_kv};
use crate::golang::sortorder::natural_cmp;
use crate::store::Scope;
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::net::IpAddr;

/// Go's `strconv.ParseBool`, which pflag uses for `--flag=value` on boolean flags.
fn go_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing {s:?}: invalid syntax")),
    }
}

/// `docker network ...`.
#[derive(Subcommand, Debug)]
pub enum NetworkCommand {
    /// Create a network
    Create(CreateArgs),
    /// List networks
    #[command(alias = "list")]
    Ls(LsArgs),
    /// Display detailed information on one or more networks
    Inspect(InspectArgs),
    /// Remove one or more networks
    #[command(alias = "remove")]
    Rm(RmArgs),
    /// Remove all unused networks
    Prune(PruneArgs),
    /// Connect a container to a network
    Connect(ConnectArgs),
    /// Disconnect a container from a network
    Disconnect(DisconnectArgs),
}

/// `network create` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct CreateArgs {
    /// Driver to manage the Network
    #[arg(short = 'd', long, default_value = "bridge")]
    driver: String,
    /// Subnet in CIDR format that represents a network segment
    #[arg(long)]
    subnet: Vec<String>,
    /// IPv4 or IPv6 Gateway for the master subnet
    #[arg(long)]
    gateway: Vec<String>,
    /// Allocate container ip from a sub-range
    #[arg(long = "ip-range")]
    ip_range: Vec<String>,
    /// Auxiliary IPv4 or IPv6 addresses used by Network driver
    #[arg(long = "aux-address")]
    aux_address: Vec<String>,
    /// Set driver specific options
    #[arg(short = 'o', long = "opt")]
    opt: Vec<String>,
    /// IP Address Management Driver
    #[arg(long = "ipam-driver", default_value = "default")]
    ipam_driver: String,
    /// Set IPAM driver specific options
    #[arg(long = "ipam-opt")]
    ipam_opt: Vec<String>,
    /// Restrict external access to the network
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    internal: Option<bool>,
    /// Enable manual container attachment
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    attachable: Option<bool>,
    /// Set metadata on a network
    #[arg(long)]
    label: Vec<String>,
    /// Enable or disable IPv6 networking
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    ipv6: Option<bool>,
    /// NETWORK
    args: Vec<String>,
}

/// `network ls` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct LsArgs {
    /// Only display network IDs
    #[arg(short, long)]
    quiet: bool,
    /// Do not truncate the output
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Provide filter values (e.g. "driver=bridge")
    #[arg(short, long)]
    filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long)]
    format: Option<String>,
}

/// `network inspect` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct InspectArgs {
    /// Format output using a custom template
    #[arg(short, long)]
    format: Option<String>,
    /// Verbose output for diagnostics
    #[arg(short, long)]
    verbose: bool,
    /// NETWORK...
    args: Vec<String>,
}

/// `network rm` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct RmArgs {
    /// Do not error if the network does not exist
    #[arg(short, long)]
    force: bool,
    /// NETWORK...
    args: Vec<String>,
}

/// `network prune` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short, long)]
    force: bool,
    /// Provide filter values (e.g. "until=<timestamp>")
    #[arg(long)]
    filter: Vec<String>,
}

/// `network connect` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct ConnectArgs {
    /// IPv4 address (e.g., "172.30.100.104")
    #[arg(long)]
    ip: Option<String>,
    /// IPv6 address (e.g., "2001:db8::33")
    #[arg(long)]
    ip6: Option<String>,
    /// Add a link-local address for the container
    #[arg(long = "link-local-ip", value_name = "strings", value_delimiter = ',')]
    link_local_ip: Vec<String>,
    /// Add link to another container
    #[arg(long)]
    link: Vec<String>,
    /// Add network-scoped alias for the container
    #[arg(long)]
    alias: Vec<String>,
    /// driver options for the network
    #[arg(long = "driver-opt")]
    driver_opt: Vec<String>,
    /// Highest gw-priority provides the default gateway. Accepts positive and negative
    /// values.
    #[arg(
        long = "gw-priority",
        allow_negative_numbers = true,
        default_value_t = 0
    )]
    gw_priority: i64,
    /// NETWORK CONTAINER
    args: Vec<String>,
}

/// docker/cli `convertDriverOpt` (`network/connect.go`): `KEY=VALUE` pairs (a `strings` flag:
/// comma-separated values), trimmed, into the map the CLI always sends, empty without
/// `--driver-opt`.
fn convert_driver_opt(opts: &[String]) -> Result<BTreeMap<String, String>, String> {
    let mut m = BTreeMap::new();
    for opt in opts.iter().flat_map(|o| o.split(',')) {
        match opt.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                m.insert(k.trim().to_string(), v.trim().to_string());
            }
            _ => return Err("invalid key/value pair format in driver options".into()),
        }
    }
    Ok(m)
}

/// `network disconnect` flags.
impl NetworkCommand {
    /// What a network command loads: `ls` and `create` the networks' own fields (`ls`
    /// their endpoints too for a `dangling` filter, so everything), `inspect`, `rm`,
    /// `connect` and `disconnect` what they name; `prune` everything.
    pub(super) fn scope(&self) -> Scope {
        match self {
            NetworkCommand::Ls(a) if !a.filter.iter().any(|f| f.starts_with("dangling")) => {
                Scope::Part(crate::store::Want {
                    networks_only: true,
                    ..Default::default()
                })
            }
            // A new network meets every other one's name, bridge and subnets, never their
            // endpoints.
            NetworkCommand::Create(a) => Scope::Part(crate::store::Want {
                networks_only: true,
                networks: a.args.clone(),
                ..Default::default()
            }),
            NetworkCommand::Inspect(a) => Scope::of(&[], &a.args),
            NetworkCommand::Rm(a) => Scope::of(&[], &a.args),
            NetworkCommand::Connect(a) => {
                let mut containers: Vec<String> = a.args.iter().skip(1).cloned().collect();
                for l in &a.link {
                    containers.push(l.split(':').next().unwrap_or_default().to_string());
                }
                Scope::of(&containers, first(&a.args))
            }
            NetworkCommand::Disconnect(a) => Scope::of(
                &a.args.iter().skip(1).cloned().collect::<Vec<_>>(),
                first(&a.args),
            ),
            _ => Scope::All,
        }
    }
}

#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct DisconnectArgs {
    /// Force the container to disconnect from a network
    #[arg(short, long)]
    force: bool,
    /// NETWORK CONTAINER
    args: Vec<String>,
}

pub(super) fn run(
    cmd: &NetworkCommand,
    prog: &str,
    d: &mut Daemon,
    input: &mut dyn BufRead,
    o: &mut Outcome,
) {
    match cmd {
        NetworkCommand::Create(a) => create(a, prog, d, o),
        NetworkCommand::Ls(a) => ls(a, prog, d, o),
        NetworkCommand::Inspect(a) => inspect(a, prog, d, o),
        NetworkCommand::Rm(a) => rm(a, prog, d, o),
        NetworkCommand::Prune(a) => prune(a, prog, d, input, o),
        NetworkCommand::Connect(a) => connect(a, prog, d, o),
        NetworkCommand::Disconnect(a) => disconnect(a, prog, d, o),
    }
}

/// docker/cli `subnetMatches`: whether `data` (an address or CIDR) lies in `subnet`.
fn subnet_matches(subnet: &str, data: &str) -> Result<bool, String> {
    let s = parse_cidr(subnet).map_err(|e| format!("invalid subnet: {e}"))?;
    let ip = if data.contains('/') {
        parse_cidr(data)?.addr
    } else {
        match data.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) => return Ok(false),
        }
    };
    Ok(s.masked().contains(ip))
}

/// Go's `net.ParseCIDR`, with its error text.
fn parse_cidr(s: &str) -> Result<crate::docker::ipam::Prefix, String> {
    s.parse().map_err(|_| format!("invalid CIDR address: {s}"))
}

/// docker/cli `createIPAMConfig`: pairs ranges, gateways and aux addresses with subnets.
fn create_ipam_config(a: &CreateArgs) -> Result<Vec<IpamConfig>, String> {
    if a.subnet.len() < a.ip_range.len() || a.subnet.len() < a.gateway.len() {
        return Err("every ip-range or gateway must have a corresponding subnet".into());
    }
    let mut data: Vec<IpamConfig> = Vec::new();
    for s in &a.subnet {
        for k in &data {
            if subnet_matches(s, &k.subnet)? || subnet_matches(&k.subnet, s)? {
                return Err("multiple overlapping subnet configuration is not supported".into());
            }
        }
        data.push(IpamConfig {
            subnet: s.clone(),
            ..IpamConfig::default()
        });
    }
    for r in &a.ip_range {
        let mut matched = false;
        for c in data.iter_mut() {
            if !subnet_matches(&c.subnet, r)? {
                continue;
            }
            if !c.ip_range.is_empty() {
                return Err(format!(
                    "cannot configure multiple ranges ({r}, {}) on the same subnet ({})",
                    c.ip_range, c.subnet
                ));
            }
            c.ip_range = r.clone();
            matched = true;
        }
        if !matched {
            return Err(format!("no matching subnet for range {r}"));
        }
    }
    for g in &a.gateway {
        let mut matched = false;
        for c in data.iter_mut() {
            if !subnet_matches(&c.subnet, g)? {
                continue;
            }
            if !c.gateway.is_empty() {
                return Err(format!(
                    "cannot configure multiple gateways ({g}, {}) for the same subnet ({})",
                    c.gateway, c.subnet
                ));
            }
            c.gateway = g.clone();
            matched = true;
        }
        if !matched {
            return Err(format!("no matching subnet for gateway {g}"));
        }
    }
    // --aux-address is a map option: a repeated name keeps its last value.
    let mut aux: BTreeMap<String, String> = BTreeMap::new();
    for kv in &a.aux_address {
        let (k, v) = split_kv(kv);
        aux.insert(k, v);
    }
    for (k, v) in &aux {
        let mut matched = false;
        for c in data.iter_mut() {
            if !subnet_matches(&c.subnet, v)? {
                continue;
            }
            c.aux_addresses.insert(k.clone(), v.clone());
            matched = true;
        }
        if !matched {
            return Err(format!("no matching subnet for aux-address {v}"));
        }
    }
    Ok(data)
}

fn kv_map(items: &[String]) -> BTreeMap<String, String> {
    items.iter().map(|s| split_kv(s)).collect()
}

/// The first of `args` (the network a `connect` or `disconnect` names), as a slice.
pub(super) fn first(args: &[String]) -> &[String] {
    args.get(..1).unwrap_or_default()
}

fn create(a: &CreateArgs, prog: &str, d: &mut Daemon, o: &mut Outcome) {
    if !arity(prog, "network create", a.args.len(), Want::Exactly(1), o) {
        return;
    }
    let [name] = a.args.as_slice() else {
        return;
    };
    let ipam_config = match create_ipam_config(a) {
        Ok(c) => c,
        Err(e) => return o.fail(e),
    };
    let req = NetworkCreateRequest {
        name: name.clone(),
        driver: a.driver.clone(),
        internal: a.internal.unwrap_or(false),
        attachable: a.attachable.unwrap_or(false),
        enable_ipv6: a.ipv6.unwrap_or(false),
        ipam_driver: a.ipam_driver.clone(),
        ipam_config,
        ipam_options: Some(kv_map(&a.ipam_opt)),
        options: kv_map(&a.opt),
        labels: kv_map(&a.label),
    };
    match d.network_create(req) {
        Ok(id) => o.outln(id),
        Err(e) => o.daemon_error(&e),
    }
}

/// Splits `--filter` values into terms (`bad format of filter (expected name=value)`).
fn parse_filters(items: &[String]) -> Result<NetworkFilters, String> {
    Ok(NetworkFilters {
        terms: super::opts::filter_terms(items)?,
    })
}

const NETWORK_LS_TABLE: &str = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";

fn ls(a: &LsArgs, prog: &str, d: &Daemon, o: &mut Outcome) {
    let filters = match parse_filters(&a.filter) {
        Ok(f) => f,
        Err(e) => return super::usage_error(o, prog, "network ls", &e),
    };
    let mut nets = match d.network_list(&filters) {
        Ok(n) => n,
        Err(e) => return o.daemon_error(&e),
    };
    nets.sort_by(|x, y| natural_cmp(&x.name, &y.name));
    let id = |full: &str| {
        if a.no_trunc {
            full.to_string()
        } else {
            crate::docker::short(full).to_string()
        }
    };
    if a.quiet {
        for n in nets {
            o.outln(id(&n.id));
        }
        return;
    }
    // The networkContext fields, keys sorted as Go's JSON encoding of the context sorts them.
    let rows: Vec<Value> = nets
        .iter()
        .map(|n| {
            let labels: Vec<String> = n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            json!({
                "CreatedAt": n.created.go_string(),
                "Driver": n.driver,
                "ID": id(&n.id),
                "IPv4": n.enable_ipv4.to_string(),
                "IPv6": n.enable_ipv6.to_string(),
                "Internal": n.internal.to_string(),
                "Labels": labels.join(","),
                // `Label(name)`: a lookup method (see the template engine).
                "Label()": n.labels,
                "Name": n.name,
                "Scope": n.scope(),
            })
        })
        .collect();
    let header = json!({
        "CreatedAt": "CREATED AT", "Driver": "DRIVER", "ID": "NETWORK ID", "IPv4": "IPV4",
        "IPv6": "IPV6", "Internal": "INTERNAL", "Labels": "LABELS", "Label()": "header", "Name": "NAME",
        "Scope": "SCOPE",
    });
    let fmt = Format::parse(a.format.as_deref(), NETWORK_LS_TABLE);
    let row_type = format::RowType {
        name: "*network.networkContext",
        prefix: "template parsing error: ",
        typed_columns: false,
    };
    match format::render(&fmt, &header, &rows, Some(row_type), None) {
        Ok(s) => o.out(s),
        Err(e) => o.fail(e),
    }
}

fn inspect(a: &InspectArgs, prog: &str, d: &Daemon, o: &mut Outcome) {
    if !arity(prog, "network inspect", a.args.len(), Want::AtLeast(1), o) {
        return;
    }
    let found = a
        .args
        .iter()
        .map(|name| {
            d.find_network(name)
                .and_then(|id| d.network(&id).map(|n| d.network_inspect(n)))
                .map_err(|e| super::daemon_msg(&e))
        })
        .collect();
    super::inspect::print_inspect(found, a.format.as_deref(), o);
}

fn rm(a: &RmArgs, prog: &str, d: &mut Daemon, o: &mut Outcome) {
    if !arity(prog, "network rm", a.args.len(), Want::AtLeast(1), o) {
        return;
    }
    // docker/cli 28 prints each failure at once and ends with an empty status error, which
    // shows as `exit status 1`.
    let mut failed = false;
    for name in &a.args {
        match d.network_remove(name) {
            Ok(()) => o.outln(name),
            Err(e) if a.force && e.kind == crate::docker::Kind::NotFound => {}
            Err(e) => {
                o.errln(super::daemon_msg(&e));
                failed = true;
            }
        }
    }
    if failed {
        o.fail("exit status 1");
    }
}

fn prune(a: &PruneArgs, prog: &str, d: &mut Daemon, input: &mut dyn BufRead, o: &mut Outcome) {
    let mut labels = Vec::new();
    for f in &a.filter {
        match f.split_once('=') {
            Some((k, v)) if k == "label" || k == "label!" => {
                labels.push((k.to_string(), v.to_string()))
            }
            Some(("until", _)) => {
                return o.daemon_error(&crate::docker::Error::prune_until_unsupported(
                    "network prune",
                ));
            }
            Some((k, _)) => {
                return o.daemon_error(&crate::docker::Error::invalid_filter(k));
            }
            None => {
                let msg = format!(
                    "invalid argument \"{f}\" for \"--filter\" flag: bad format of filter (expected name=value)"
                );
                return super::usage_error(o, prog, "network prune", &msg);
            }
        }
    }
    if !a.force
        && !confirm(
            o,
            input,
            "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?",
        )
    {
        return;
    }
    match d.network_prune(&labels) {
        Ok(names) if names.is_empty() => {}
        Ok(names) => o.outln(super::prune::deleted("Deleted Networks:", &names)),
        Err(e) => o.daemon_error(&e),
    }
}

fn connect(a: &ConnectArgs, prog: &str, d: &mut Daemon, o: &mut Outcome) {
    if !arity(prog, "network connect", a.args.len(), Want::Exactly(2), o) {
        return;
    }
    // docker/cli `runConnect` always sends an `IPAMConfig` and a `DriverOpts` map.
    let ipam = Some(EndpointIpamConfig {
        ipv4_address: a.ip.clone().unwrap_or_default(),
        ipv6_address: a.ip6.clone().unwrap_or_default(),
        link_local_ips: a.link_local_ip.clone(),
    });
    let links = match super::opts::parse_links(&a.link) {
        Ok(l) => l,
        Err(e) => return super::usage_error(o, prog, "network connect", &e),
    };
    let driver_opts = match convert_driver_opt(&a.driver_opt) {
        Ok(m) => m,
        Err(e) => return o.fail(e),
    };
    let settings = EndpointSettings {
        ipam_config: ipam,
        driver_opts: Some(driver_opts),
        links,
        aliases: a.alias.clone(),
        gw_priority: a.gw_priority,
        ..EndpointSettings::default()
    };
    let [network, container] = a.args.as_slice() else {
        return;
    };
    if let Err(e) = d.network_connect(network, container, settings) {
        o.daemon_error(&e);
    }
}

fn disconnect(a: &DisconnectArgs, prog: &str, d: &mut Daemon, o: &mut Outcome) {
    if !arity(
        prog,
        "network disconnect",
        a.args.len(),
        Want::Exactly(2),
        o,
    ) {
        return;
    }
    let [network, container] = a.args.as_slice() else {
        return;
    };
    if let Err(e) = d.network_disconnect(network, container, a.force) {
        o.daemon_error(&e);
    }
}
