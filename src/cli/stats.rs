//! `docker stats --no-stream`: docker/cli `cli/command/container/stats.go` and
//! `formatter_stats.go` (the columns, each from one sample of
//! [`Daemon::container_stats`]: CPU and memory are zero in vnet, NET I/O sums what the
//! container's interfaces received and sent, PIDS counts its processes). Without `--no-stream`
//! docker redraws the table every second; vnet prints it once.

use super::Outcome;
use super::format::{self, Format, RowType};
use crate::docker::Daemon;
use clap::Args;
use serde_json::{Value, json};

/// `stats` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct StatsArgs {
    /// Show all containers (default shows just running)
    #[arg(short, long)]
    all: bool,
    /// Format output using a custom template
    #[arg(long, value_name = "string")]
    format: Option<String>,
    /// Disable streaming stats and only pull the first result
    #[arg(long)]
    no_stream: bool,
    /// Do not truncate output
    #[arg(long)]
    no_trunc: bool,
    /// CONTAINER...
    args: Vec<String>,
}

impl StatsArgs {
    /// The containers named (all of them when none is).
    pub(super) fn scope(&self) -> crate::store::Scope {
        if self.args.is_empty() {
            crate::store::Scope::All
        } else {
            crate::store::Scope::of(&self.args, &[])
        }
    }
}

const STATS_TABLE: &str = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

/// `runStats` with `--no-stream`.
pub(super) fn stats(a: &StatsArgs, d: &Daemon, o: &mut Outcome) {
    // Named containers as given; else the running ones (all with -a), newest first.
    let named: Vec<(String, String)> = if a.args.is_empty() {
        match d.container_ps(a.all, None, &[]) {
            Ok(list) => list.iter().map(|c| (c.id.clone(), c.id.clone())).collect(),
            Err(e) => return o.daemon_error(&e),
        }
    } else {
        let mut found = Vec::new();
        for term in &a.args {
            match d.find_container(term) {
                Ok(id) => found.push((term.clone(), id)),
                Err(e) => return o.daemon_error(&e),
            }
        }
        found
    };
    let mut rows = Vec::new();
    for (given, id) in &named {
        let s = match d.container_stats(id) {
            Ok(s) => s,
            Err(e) => return o.daemon_error(&e),
        };
        rows.push(row(given, &s, a.no_trunc));
    }
    let header = json!({
        "Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %",
        "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O",
        "BlockIO": "BLOCK I/O", "PIDs": "PIDS",
    });
    let fmt = Format::parse(a.format.as_deref(), STATS_TABLE);
    let row_type = RowType {
        name: "*container.statsContext",
        prefix: "failed to execute template: ",
        typed_columns: false,
    };
    match format::render(&fmt, &header, &rows, Some(row_type), None) {
        Ok(s) => o.out(s),
        Err(e) => o.fail(e),
    }
}

/// One row of the table (`statsContext`'s fields) from a sample.
fn row(given: &str, s: &Value, no_trunc: bool) -> Value {
    let id = s.get("id").and_then(Value::as_str).unwrap_or("");
    let id = if no_trunc {
        id
    } else {
        id.get(..12).unwrap_or(id)
    };
    let name = s.get("name").and_then(Value::as_str).unwrap_or("");
    let (mut rx, mut tx) = (0u64, 0u64);
    if let Some(nets) = s.get("networks").and_then(Value::as_object) {
        for n in nets.values() {
            rx += n.get("rx_bytes").and_then(Value::as_u64).unwrap_or(0);
            tx += n.get("tx_bytes").and_then(Value::as_u64).unwrap_or(0);
        }
    }
    let num = |p: &str| s.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    // calculateCPUPercentUnix: the container's share of the system's CPU time since the
    // previous sample, times the CPUs online.
    let cpu_delta = num("/cpu_stats/cpu_usage/total_usage")
        .saturating_sub(num("/precpu_stats/cpu_usage/total_usage"));
    let system_delta =
        num("/cpu_stats/system_cpu_usage").saturating_sub(num("/precpu_stats/system_cpu_usage"));
    let cpu = if cpu_delta > 0 && system_delta > 0 {
        cpu_delta as f64 / system_delta as f64 * num("/cpu_stats/online_cpus") as f64 * 100.0
    } else {
        0.0
    };
    let (mem, limit) = (num("/memory_stats/usage"), num("/memory_stats/limit"));
    let mem_perc = if limit > 0 {
        mem as f64 / limit as f64 * 100.0
    } else {
        0.0
    };
    // calculateBlockIO: the bytes read and written, by operation.
    let (mut read, mut write) = (0u64, 0u64);
    if let Some(list) = s
        .pointer("/blkio_stats/io_service_bytes_recursive")
        .and_then(Value::as_array)
    {
        for e in list {
            let v = e.get("value").and_then(Value::as_u64).unwrap_or(0);
            match e
                .get("op")
                .and_then(Value::as_str)
                .map(str::to_lowercase)
                .as_deref()
            {
                Some("read") => read += v,
                Some("write") => write += v,
                _ => {}
            }
        }
    }
    json!({
        "Container": given,
        "ID": id,
        "Name": name.strip_prefix('/').unwrap_or(name),
        "CPUPerc": format!("{cpu:.2}%"),
        "MemUsage": format!("{} / {}", format::bytes_size(mem), format::bytes_size(limit)),
        "MemPerc": format!("{mem_perc:.2}%"),
        "NetIO": format!("{} / {}", format::human_size(rx), format::human_size(tx)),
        "BlockIO": format!("{} / {}", format::human_size(read), format::human_size(write)),
        "PIDs": num("/pids_stats/current").to_string(),
    })
}
