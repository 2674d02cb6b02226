//! `docker system df [-v] [--format]`: docker/cli `cli/command/system/df.go` and
//! `formatter/disk_usage.go`, over [`Daemon::disk_usage`]: a row for images (what containers
//! use is active, the rest reclaimable), containers (running ones active; none writes
//! anything in vnet), local volumes and the build cache (vnet has neither).

use super::Outcome;
use super::format::{self, Format, RowType};
use crate::docker::Daemon;
use clap::Args;
use serde_json::json;

/// `system df` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct DfArgs {
    /// Format output using a custom template
    #[arg(long, value_name = "string")]
    format: Option<String>,
    /// Show detailed information on space usage
    #[arg(short, long)]
    verbose: bool,
}

const DF_TABLE: &str = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";

/// `size (N%)` of `total`, as `Reclaimable` words it.
fn reclaimable(part: u64, total: u64) -> String {
    let size = format::human_size_precision(part, 4);
    match (part.saturating_mul(100)).checked_div(total) {
        Some(pct) => format!("{size} ({pct}%)"),
        None => size,
    }
}

/// `runDiskUsage`.
pub(super) fn df(a: &DfArgs, d: &Daemon, o: &mut Outcome) {
    let du = d.disk_usage();
    if a.verbose && a.format.is_none() {
        return verbose(d, &du, o);
    }
    let total: u64 = du.images.iter().map(|i| i.size).sum();
    let used: u64 = du
        .images
        .iter()
        .filter(|i| i.containers > 0)
        .map(|i| i.size)
        .sum();
    let active = du.images.iter().filter(|i| i.containers > 0).count();
    let ctotal: u64 = du.containers.iter().map(|(_, _, s)| s).sum();
    let cidle: u64 = du
        .containers
        .iter()
        .filter(|(_, r, _)| !r)
        .map(|(_, _, s)| s)
        .sum();
    let running = du.containers.iter().filter(|(_, r, _)| *r).count();
    let size = |b: u64| format::human_size_precision(b, 4);
    let rows = vec![
        // Keys sorted, as the context's JSON form has them.
        json!({"Active": active.to_string(), "Reclaimable": reclaimable(total - used, total),
               "Size": size(total), "TotalCount": du.images.len().to_string(), "Type": "Images"}),
        json!({"Active": running.to_string(), "Reclaimable": reclaimable(cidle, ctotal),
               "Size": size(ctotal), "TotalCount": du.containers.len().to_string(), "Type": "Containers"}),
        json!({"Active": "0", "Reclaimable": reclaimable(0, 0), "Size": size(0), "TotalCount": "0", "Type": "Local Volumes"}),
        json!({"Active": "0", "Reclaimable": size(0), "Size": size(0), "TotalCount": "0", "Type": "Build Cache"}),
    ];
    let header = json!({"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE",
                        "Size": "SIZE", "Reclaimable": "RECLAIMABLE"});
    let fmt = Format::parse(a.format.as_deref(), DF_TABLE);
    let row_type = RowType {
        name: "*formatter.diskUsageImagesContext",
        prefix: "template parsing error: ",
        typed_columns: false,
    };
    match format::render(&fmt, &header, &rows, Some(row_type), None) {
        Ok(s) => o.out(s),
        Err(e) => o.fail(e),
    }
}

/// `system df -v`: the images, containers, volumes and build cache, each in a table.
fn verbose(d: &Daemon, du: &crate::docker::images::DiskUsage, o: &mut Outcome) {
    let now = d.now();
    let ago = |t: crate::time::Instant| format!("{} ago", crate::time::human_duration(now - t));
    let size = |b: u64| format::human_size_precision(b, 4);
    let mut out = String::from("Images space usage:\n\n");
    let mut t = String::from(
        "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS\n",
    );
    for i in &du.images {
        let tagged = i.repo_tags.first().cloned().unwrap_or_default();
        let (repo, tag) = tagged.rsplit_once(':').unwrap_or((&tagged, "<none>"));
        let hex = i.id.strip_prefix("sha256:").unwrap_or(&i.id);
        t.push_str(&format!(
            "{repo}\t{tag}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            hex.get(..12).unwrap_or(hex),
            ago(i.created),
            size(i.size),
            size(0),
            size(i.size),
            i.containers
        ));
    }
    out.push_str(&crate::golang::tabwriter::align(&t, 10, 3));
    out.push_str("\nContainers space usage:\n\n");
    let mut t =
        String::from("CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES\n");
    for (id, _, written) in &du.containers {
        let Ok(c) = d.container(id) else { continue };
        let command = format!("\"{}\"", format::ellipsis(&c.command_line(), 20));
        t.push_str(&format!(
            "{}\t{}\t{command}\t0\t{}\t{}\t{}\t{}\n",
            c.short_id(),
            c.config.image,
            size(*written),
            ago(c.created),
            d.container_status_text(c),
            c.name
        ));
    }
    out.push_str(&crate::golang::tabwriter::align(&t, 10, 3));
    out.push_str("\nLocal Volumes space usage:\n\n");
    out.push_str(&crate::golang::tabwriter::align(
        "VOLUME NAME\tLINKS\tSIZE\n",
        10,
        3,
    ));
    out.push_str("\nBuild cache usage: 0B\n\n");
    out.push_str(&crate::golang::tabwriter::align(
        "CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED\n",
        10,
        3,
    ));
    o.out(out);
}
