//! The state as one JSON document: the `state.json` format (versions 1 and 2) that vnet kept
//! before the database, and the form of `vnet state export` / `vnet state import`.
//!
//! Version 2 is `{"format": "vnet-state", "version": 2, "cluster": …}` (hosts and cluster
//! stores); version 1 held one host's engine under `state` and still reads, as the `default`
//! host. The document's bytes are canonical: the same state always encodes to the same bytes,
//! which is what tests and bug reports diff.

use crate::cluster::Cluster;
use crate::docker::{Daemon, State};
use serde::{Deserialize, Serialize};

/// The document version this vnet writes.
pub const DOCUMENT_VERSION: u32 = 2;

/// Version 2: hosts and cluster stores.
#[derive(Serialize, Deserialize)]
struct Envelope {
    format: String,
    version: u32,
    cluster: Cluster,
}

/// Version 1: one host.
#[derive(Deserialize)]
struct EnvelopeV1 {
    format: String,
    state: State,
}

#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

/// Why a document was refused.
#[derive(Debug)]
pub enum DocumentError {
    /// It does not parse, or is not vnet's.
    Corrupt(String),
    /// A newer vnet wrote it.
    TooNew(u32),
}

/// Serialises a state as one document.
pub fn encode(c: &Cluster) -> Vec<u8> {
    #[derive(Serialize)]
    struct EnvelopeRef<'a> {
        format: &'a str,
        version: u32,
        cluster: &'a Cluster,
    }
    let env = EnvelopeRef {
        format: "vnet-state",
        version: DOCUMENT_VERSION,
        cluster: c,
    };
    // Plain data, as the rows are (see `rows::to_json`).
    #[allow(clippy::expect_used)]
    let mut v = serde_json::to_vec(&env).expect("state serialises");
    v.push(b'\n');
    v
}

/// Parses a document of version 1 or 2.
pub fn decode(bytes: &[u8]) -> Result<Cluster, DocumentError> {
    let corrupt = |e: serde_json::Error| DocumentError::Corrupt(e.to_string());
    let version: VersionOnly = serde_json::from_slice(bytes).map_err(corrupt)?;
    if version.version > DOCUMENT_VERSION {
        return Err(DocumentError::TooNew(version.version));
    }
    let (format, cluster) = if version.version < 2 {
        let env: EnvelopeV1 = serde_json::from_slice(bytes).map_err(corrupt)?;
        (
            env.format,
            Cluster::from_daemon(Daemon::from_state(env.state)),
        )
    } else {
        let mut env: Envelope = serde_json::from_slice(bytes).map_err(corrupt)?;
        env.cluster.reindex();
        (env.format, env.cluster)
    };
    if format != "vnet-state" {
        return Err(DocumentError::Corrupt(format!("unknown format {format:?}")));
    }
    Ok(cluster)
}
