//! `docker stats`: moby's `daemon/stats.go` and `api/types/container/stats.go`
//! (`StatsResponse`). vnet models no CPU, memory or block I/O, so those count zero; what
//! it does count are the frames and bytes each interface moved (the network I/O column)
//! and the processes running in the container (its command and what `exec -d` left).

use super::*;
use serde_json::{Value, json};

/// moby's zero `time.Time`, as a stopped container's `read` shows it.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

impl Daemon {
    /// `GET /containers/{id}/stats?stream=false`: one sample. A container that does not run
    /// has none (zero values, no networks), as moby answers for it.
    pub fn container_stats(&self, term: &str) -> Result<Value> {
        let c = self.state.container(&self.find_container(term)?)?;
        let running = c.is_running();
        let mut networks = serde_json::Map::new();
        if running {
            for s in c.endpoints() {
                let (Some(ep), Some(ifname)) = (&s.endpoint_id, &s.ifname) else {
                    continue;
                };
                let Some(e) = self
                    .state
                    .networks
                    .get(&s.network_id)
                    .and_then(|n| n.endpoints.get(ep))
                else {
                    continue;
                };
                let k = &e.counters;
                networks.insert(
                    ifname.clone(),
                    json!({
                        "rx_bytes": k.rx_bytes, "rx_packets": k.rx_packets,
                        "rx_errors": 0, "rx_dropped": 0,
                        "tx_bytes": k.tx_bytes, "tx_packets": k.tx_packets,
                        "tx_errors": 0, "tx_dropped": 0,
                    }),
                );
            }
        }
        let pids = if running { c.ps(0).len() } else { 0 };
        let cpu = json!({
            "cpu_usage": { "total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0 },
            "system_cpu_usage": 0,
            "online_cpus": 1,
            "throttling_data": { "periods": 0, "throttled_periods": 0, "throttled_time": 0 },
        });
        let mut v = json!({
            "name": format!("/{}", c.name),
            "id": c.id,
            "read": if running { self.now().rfc3339_nano() } else { ZERO_TIME.to_string() },
            "preread": ZERO_TIME,
            "pids_stats": { "current": pids },
            "blkio_stats": {
                "io_service_bytes_recursive": null,
                "io_serviced_recursive": null,
                "io_queue_recursive": null,
                "io_service_time_recursive": null,
                "io_wait_time_recursive": null,
                "io_merged_recursive": null,
                "io_time_recursive": null,
                "sectors_recursive": null,
            },
            "num_procs": 0,
            "storage_stats": {},
            "cpu_stats": cpu,
            "precpu_stats": cpu,
            "memory_stats": {},
        });
        if running && let Some(m) = v.as_object_mut() {
            m.insert("networks".into(), Value::Object(networks));
        }
        Ok(v)
    }
}
