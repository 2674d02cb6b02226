//! Stopping: moby's `daemon/stop.go`, `kill.go`, `restart.go` and the exit path of
//! `monitor.go` (a process that ends), plus a host's shutdown and crash recovery.

use super::*;

/// How long a stop waits for a process that ignores SIGTERM, given `-t SECONDS` (not
/// negative): moby's `wait = time.Duration(stopTimeout) * time.Second`, Go's `int64`
/// nanoseconds, which wrap. A wait that wrapped to zero or below has expired before it began
/// (`context.WithTimeout` with a deadline in the past), so SIGKILL follows at once: `docker
/// stop -t 9223372036854775807` kills at once, and no wait is longer than Go's longest
/// `Duration` (about 292 years), so the clock stays in range.
fn grace_period(seconds: i64) -> Duration {
    let nanos = seconds.wrapping_mul(1_000_000_000);
    Duration::from_micros(u64::try_from(nanos).unwrap_or(0) / 1_000)
}

impl Daemon {
    /// `POST /containers/{id}/stop?t=N`: SIGTERM, then SIGKILL after `timeout` seconds if
    /// the process ignores SIGTERM (a shell as PID 1 does); a negative timeout waits for
    /// ever. Stopping a stopped container does nothing.
    pub fn container_stop(&mut self, term: &str, timeout: Option<i64>) -> Result<()> {
        let cid = self.find_container(term)?;
        let c = self.state.container(&cid)?;
        if !c.is_running() {
            return Ok(());
        }
        let (code, waited) = self.stop_wait(c, timeout)?;
        let sig = self.stop_signal(c);
        self.container_event(&cid, "kill", &[("signal", sig.to_string())]);
        self.advance(waited);
        if code == 137 {
            self.container_event(&cid, "kill", &[("signal", "9".into())]);
        }
        self.exit(&cid, code);
        self.container_event(&cid, "stop", &[]);
        Ok(())
    }

    /// Stops several containers at once, as the docker CLI does (in parallel): each waits its
    /// own grace period from the same moment, and the clock ends at the longest.
    pub fn container_stop_many(
        &mut self,
        terms: &[String],
        timeout: Option<i64>,
    ) -> Vec<Result<()>> {
        let start = self.now();
        let mut plan: Vec<(usize, String, Duration, i32)> = Vec::new();
        let mut results: Vec<Result<()>> = Vec::new();
        for (k, term) in terms.iter().enumerate() {
            let r = self.find_container(term).and_then(|cid| {
                let c = self.state.container(&cid)?;
                if !c.is_running() {
                    return Ok(());
                }
                let (code, wait) = self.stop_wait(c, timeout)?;
                let sig = self.stop_signal(c);
                self.container_event(&cid, "kill", &[("signal", sig.to_string())]);
                plan.push((k, cid, wait, code));
                Ok(())
            });
            results.push(r);
        }
        plan.sort_by_key(|(k, _, wait, _)| (*wait, *k));
        for (_, cid, wait, code) in plan {
            let at = start + wait;
            if at > self.now() {
                self.state.clock = at;
            }
            if self
                .state
                .containers
                .get(&cid)
                .is_some_and(|c| c.is_running())
            {
                if code == 137 {
                    self.container_event(&cid, "kill", &[("signal", "9".into())]);
                }
                self.exit(&cid, code);
                self.container_event(&cid, "stop", &[]);
            }
        }
        results
    }

    /// The signal `docker stop` sends first: the image's `STOPSIGNAL` (nginx's SIGQUIT,
    /// httpd's SIGWINCH, postgres' SIGINT), else SIGTERM.
    pub(crate) fn stop_signal(&self, c: &Container) -> u32 {
        self.image(&c.config.image)
            .and_then(|i| parse_signal(i.stop_signal).ok())
            .unwrap_or(15)
    }

    /// How a stop ends: the exit code, and how long it waits for the process.
    fn stop_wait(&self, c: &Container, timeout: Option<i64>) -> Result<(i32, Duration)> {
        if self
            .image(&c.config.image)
            .is_some_and(|i| i.exits_on_stop_signal)
        {
            return Ok((0, Duration(0)));
        }
        if let Some(code) = c.main_exits_on(self.stop_signal(c)) {
            return Ok((code, Duration(0)));
        }
        match timeout {
            None => Ok((137, DEFAULT_STOP_TIMEOUT)),
            Some(t) if t >= 0 => Ok((137, grace_period(t))),
            Some(_) => Err(Error::stop_needs_timeout(&c.name)),
        }
    }

    /// `POST /containers/{id}/kill?signal=S` (moby's `ContainerKill`; SIGKILL when no
    /// signal is given). The signal goes to PID 1, which in its PID namespace gets only
    /// those it handles, and SIGKILL: an image's servers (nginx, redis) end on SIGTERM,
    /// SIGINT and SIGQUIT with status 0 and take others (SIGHUP) in their stride; busybox
    /// `top` ends on libbb's fatal signals ([`Container::main_exits_on`]); a shell or any
    /// other program as PID 1 handles none that would end it. SIGKILL ends
    /// anything, status 137.
    pub fn container_kill(&mut self, term: &str, signal: Option<&str>) -> Result<()> {
        let sig = match signal.filter(|s| !s.is_empty()) {
            None => 9,
            Some(s) => parse_signal(s)?,
        };
        let cid = self.find_container(term)?;
        let c = self.state.container(&cid)?;
        if !c.is_running() {
            return Err(Error::kill_not_running(term, &cid));
        }
        let server = self
            .image(&c.config.image)
            .is_some_and(|i| i.exits_on_stop_signal);
        let stop_signal = self.stop_signal(c);
        let handled = c.main_exits_on(sig);
        self.container_event(&cid, "kill", &[("signal", sig.to_string())]);
        match (sig, handled) {
            (9, _) => self.exit(&cid, 137),
            (2 | 3 | 15, _) if server => self.exit(&cid, 0),
            // Its STOPSIGNAL (httpd's SIGWINCH: a graceful stop).
            (s, _) if server && s == stop_signal => self.exit(&cid, 0),
            (_, Some(code)) => self.exit(&cid, code),
            _ => {}
        }
        Ok(())
    }

    /// The IDs of the running containers, in creation order.
    fn running_ids(&self) -> Vec<String> {
        self.state
            .containers
            .values()
            .filter(|c| c.is_running())
            .map(|c| c.id.clone())
            .collect()
    }

    /// A clean daemon shutdown (`vnet host restart`): every running container is stopped as
    /// `docker stop` stops it, all at once; their endpoints are released.
    pub fn shutdown(&mut self) {
        let running = self.running_ids();
        // A negative timeout cannot come from here: the default grace period applies.
        let _ = self.container_stop_many(&running, None);
    }

    /// The engine comes back after its host died without cleaning up (`vnet host restart
    /// --unclean`). Containers that were running are found dead (exit code 255, as
    /// `daemon.restore` records a task that is gone); their endpoints on local networks are
    /// swept as libnetwork's sandbox cleanup does, but those on global networks stay in the
    /// cluster store with nobody behind them: stale endpoints, under the container's name.
    pub fn recover_after_crash(&mut self) {
        let running = self.running_ids();
        let now = self.now();
        for cid in running {
            let Ok(c) = self.state.container(&cid) else {
                continue;
            };
            let eps: Vec<(String, String)> = c
                .endpoints()
                .filter_map(|s| s.endpoint_id.clone().map(|e| (s.network_id.clone(), e)))
                .collect();
            for (nid, ep) in eps {
                if !self.state.networks.get(&nid).is_some_and(|n| n.global) {
                    self.leave(&nid, &ep);
                }
            }
            let Ok(c) = self.state.container_mut(&cid) else {
                continue;
            };
            c.forget_namespace();
            c.state.status = Status::Exited;
            c.state.pid = 0;
            c.state.exit_code = 255;
            c.state.finished_at = Some(now);
            c.lo = Default::default();
        }
    }

    /// The container's main process ended with `code` (a shell's `exit`).
    pub fn container_exit(&mut self, cid: &str, code: i32) {
        self.exit(cid, code);
    }

    pub(super) fn exit(&mut self, cid: &str, code: i32) {
        // daemon/monitor.go: the cleanup releases the network (each `disconnect`), then
        // `die` is logged with the exit code and how long the process ran.
        let ran = self
            .state
            .container(cid)
            .ok()
            .and_then(|c| c.state.started_at);
        let ran = ran.map_or(0, |t| (self.now() - t).as_secs());
        self.release_networking_logged(cid);
        self.container_event(
            cid,
            "die",
            &[
                ("execDuration", ran.to_string()),
                ("exitCode", code.to_string()),
            ],
        );
        let now = self.now();
        let Ok(c) = self.state.container_mut(cid) else {
            return;
        };
        c.state.status = Status::Exited;
        c.state.pid = 0;
        c.lo = Default::default();
        c.state.exit_code = code;
        c.state.finished_at = Some(now);
        // daemon/monitor.go `handleContainerExit`: `--rm` removes it once it has exited.
        self.auto_remove(cid, code);
    }

    /// Removes a `--rm` container that stopped with `code`, noting the code for the
    /// daemon's `wait?condition=removed`.
    pub(super) fn auto_remove(&mut self, cid: &str, code: i32) {
        if self
            .state
            .containers
            .get(cid)
            .is_some_and(|c| c.host_config.auto_remove)
            && let Some(c) = self.state.containers.shift_remove(cid)
        {
            self.log_event("container", "destroy", cid, destroy_attributes(&c));
            self.state.names.remove(&c.name);
            if self.removed_exits.len() < 1024 {
                self.removed_exits.push((c.id, code));
            }
        }
    }

    /// The container's command could not be started (runc's error): it stays created, with
    /// the status the docker CLI exits with and the error `inspect` shows; `--rm` removes it.
    pub fn container_start_failed(&mut self, cid: &str, code: i32, error: &str) {
        // The task never started: no `start` event (vnet logged one as the networking came
        // up), the endpoints' `disconnect`s.
        if let Some(at) = self
            .state
            .events
            .iter()
            .rposition(|e| e.kind == "container" && e.action == "start" && e.id == cid)
        {
            self.state.events.remove(at);
        }
        self.release_networking_logged(cid);
        let Ok(c) = self.state.container_mut(cid) else {
            return;
        };
        c.state.status = Status::Created;
        c.state.pid = 0;
        c.lo = Default::default();
        c.state.exit_code = code;
        c.state.error = error.to_string();
        c.state.started_at = None;
        // containerStart's cleanup removes a `--rm` container whose start failed.
        self.auto_remove(cid, code);
    }

    /// `POST /containers/{id}/restart`: stop (if running), then start, the command left to
    /// the front end as after [`Daemon::container_start_attached`]. A `--rm` container is
    /// not removed by the stop of a restart.
    pub fn container_restart(&mut self, term: &str, timeout: Option<i64>) -> Result<()> {
        let cid = self.find_container(term)?;
        let auto_remove = self.state.container(&cid)?.host_config.auto_remove;
        self.state.container_mut(&cid)?.host_config.auto_remove = false;
        let stopped = self.container_stop(term, timeout);
        if let Ok(c) = self.state.container_mut(&cid) {
            c.host_config.auto_remove = auto_remove;
        }
        stopped?;
        // The front end then runs the command (`busybox::start_detached`), as for a start.
        self.container_start_attached(term)
            .map_err(|e| e.prefixed(&format!("Cannot restart container {term}: ")))?;
        self.container_event(&cid, "restart", &[]);
        Ok(())
    }
}

/// moby's `signal.ParseSignal`: a number other than 0, or a name with or without `SIG`,
/// in any case (Linux's numbers).
pub fn parse_signal(s: &str) -> Result<u32> {
    const NAMES: [&str; 31] = [
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
        "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
        "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];
    let invalid = || {
        Error::new(
            crate::docker::Kind::InvalidParameter,
            format!("Invalid signal: {s}"),
        )
    };
    if let Ok(n) = s.parse::<i64>() {
        return u32::try_from(n)
            .ok()
            .filter(|n| (1..=64).contains(n))
            .ok_or_else(invalid);
    }
    let name = s.to_uppercase();
    let name = name.strip_prefix("SIG").unwrap_or(&name);
    let extra = match name {
        "IOT" => Some(6),
        "POLL" => Some(29),
        "RTMIN" => Some(34),
        "RTMAX" => Some(64),
        _ => None,
    };
    NAMES
        .iter()
        .position(|n| *n == name)
        .map(|i| i as u32 + 1)
        .or(extra)
        .ok_or_else(invalid)
}

/// A removed container's `destroy` attributes: its image, name and labels.
pub(super) fn destroy_attributes(c: &Container) -> BTreeMap<String, String> {
    let mut attrs: BTreeMap<String, String> = c.config.labels.clone().into_iter().collect();
    attrs.insert("image".into(), c.config.image.clone());
    attrs.insert("name".into(), c.name.clone());
    attrs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grace_periods_wrap_as_go_durations_do() {
        assert_eq!(grace_period(0), Duration::ZERO);
        assert_eq!(grace_period(10), Duration::from_secs(10));
        // The longest wait that does not wrap: 292 years.
        assert_eq!(
            grace_period(9_223_372_036),
            Duration::from_secs(9_223_372_036)
        );
        // (2^63 - 1) * 10^9 wraps to -10^9: expired at once.
        assert_eq!(grace_period(i64::MAX), Duration::ZERO);
        // 9223372037 * 10^9 is past 2^63: negative, expired.
        assert_eq!(grace_period(9_223_372_037), Duration::ZERO);
        // 2^64 / 10^9 + 1 seconds wraps past zero to a short positive wait.
        assert_eq!(grace_period(18_446_744_074), Duration::from_micros(290_448));
    }
}
