//! What a command loads: the whole state, or the part of one host that its objects reach.
//!
//! A partial load is complete for the command that asked for it: the containers it names
//! (by ID, ID prefix or name) and the networks it names, with every endpoint of those
//! networks and of the named containers' networks, the containers behind those endpoints,
//! the containers at either end of a legacy link with any of them, the parents of legacy
//! links to a name it names that no container has yet, and every network's own fields
//! (never its endpoints unless reached). What the command then changes outside that part
//! is caught when it is saved ([`SaveError::ScopeMiss`](super::SaveError)), and the command
//! runs again on the whole state, so a narrow load can cost time, never correctness.

/// What to load.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    /// Everything.
    #[default]
    All,
    /// Part of a one-host state (a state with several hosts or a cluster store loads whole).
    Part(Want),
}

/// The objects a command names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Want {
    /// Containers by ID, ID prefix or name.
    pub containers: Vec<String>,
    /// Networks by ID, ID prefix or name.
    pub networks: Vec<String>,
    /// Containers whose stored name (`/NAME`) is one of these or matches it as a regular
    /// expression (`ps --filter name=`, moby's `filters.Args.Match`).
    pub name_patterns: Vec<String>,
    /// Only the networks' own fields: no container, no endpoint (`network ls`).
    pub networks_only: bool,
    /// Load everything if a named container publishes ports (a start binds host ports,
    /// which every running container's bindings decide).
    pub whole_if_publishing: bool,
}

impl Scope {
    /// A partial load of these containers that becomes a whole one if any of them publishes
    /// ports (`start`, `restart`).
    pub fn starting(containers: &[String]) -> Scope {
        Scope::Part(Want {
            containers: containers.to_vec(),
            whole_if_publishing: true,
            ..Want::default()
        })
    }

    /// A partial load of these containers and networks.
    pub fn of(containers: &[String], networks: &[String]) -> Scope {
        Scope::Part(Want {
            containers: containers.to_vec(),
            networks: networks.to_vec(),
            ..Want::default()
        })
    }
}
