//! `docker events [OPTIONS]`: docker/cli `cli/command/system/events.go` (`runEvents`:
//! `--since`/`--until` through the client's `GetTimestamp`, `--filter`, `--format` as a Go
//! template over `events.Message` or `json`, otherwise `prettyPrintEvent`'s lines).
//!
//! The events carry the host's virtual times, which `--since` and `--until` select (a
//! duration counts back from the virtual clock). Whether the stream then goes on is
//! docker's rule on the wall clock: without `--until`, or with one the wall clock has not
//! reached, the `vnet` binary prints the events that come, reading the state again every
//! quarter of a second, until Ctrl-C or that time ([`follow`]); a replay (a scenario)
//! prints what is there.

use super::format::unescape_tabs;
use super::{Outcome, Want, arity, templates};
use crate::docker::events::{Event, EventsOptions};
use crate::docker::{Daemon, timestamp};
use crate::time::Instant;
use clap::Args;

/// `events` arguments.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct EventsArgs {
    /// Filter output based on conditions provided
    #[arg(short = 'f', long = "filter", value_name = "filter")]
    filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long, value_name = "string")]
    format: Option<String>,
    /// Show all events created since timestamp
    #[arg(long, value_name = "string")]
    since: Option<String>,
    /// Stream events until this timestamp
    #[arg(long, value_name = "string")]
    until: Option<String>,
    /// (none)
    args: Vec<String>,
}

/// Where an `events` stream has got to: the `vnet` binary asks for what came after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowEvents {
    /// The last event printed.
    pub after: u64,
    /// `--until`.
    pub until: Option<Instant>,
    /// `--filter`.
    pub filters: Vec<(String, String)>,
    /// `--format`.
    pub format: Option<String>,
}

/// `runEvents`.
pub(super) fn events(a: &EventsArgs, prog: &str, d: &Daemon, o: &mut Outcome) {
    if !arity(prog, "events", a.args.len(), Want::Exactly(0), o) {
        return;
    }
    let now = d.now();
    let stamp = |v: &Option<String>| -> Result<Option<(Instant, String)>, String> {
        let Some(v) = v else { return Ok(None) };
        let ts = timestamp::get_timestamp(v, now)?;
        timestamp::parse_timestamps(&ts).map(|t| Some((t, ts)))
    };
    let (since, until) = match (stamp(&a.since), stamp(&a.until)) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(e), _) | (_, Err(e)) => return o.fail(e),
    };
    fn raw(t: &Option<(Instant, String)>) -> Option<(Instant, &str)> {
        t.as_ref().map(|(i, s)| (*i, s.as_str()))
    }
    if let Err(e) = crate::docker::events::check_range(raw(&since), raw(&until)) {
        return o.daemon_error(&e);
    }
    let (since, until) = (since.map(|t| t.0), until.map(|t| t.0));
    let filters = match super::opts::filter_terms(&a.filter) {
        Ok(t) => t,
        Err(msg) => return super::usage_error(o, prog, "events", &msg),
    };
    // makeTemplate: parsed, then run over an empty message, so that a field the message
    // lacks is an error before any event (status 64).
    if let Some(f) = a.format.as_deref().filter(|f| !f.is_empty()) {
        let empty = Event {
            seq: 0,
            time: Instant(0),
            kind: String::new(),
            action: String::new(),
            id: String::new(),
            attributes: Default::default(),
        };
        let mut empty = empty.message();
        if let Some(m) = empty.as_object_mut() {
            for k in ["status", "id", "from"] {
                m.entry(k).or_insert_with(|| "".into());
            }
            m.insert("time".into(), 0.into());
            m.insert("timeNano".into(), 0.into());
            if let Some(actor) = m.get_mut("Actor").and_then(|a| a.as_object_mut()) {
                actor.insert("Attributes".into(), serde_json::Value::Null);
            }
        }
        let checked = parse_format(f).and_then(|t| {
            t.execute_typed(
                &empty,
                &[("", "*events.Message"), ("Actor", "events.Actor")],
            )
            .map_err(|e| e.to_string())
        });
        if let Err(e) = checked {
            o.errln(format!("Error parsing format: {e}"));
            o.code = 64;
            return;
        }
    }
    let opts = EventsOptions {
        since,
        until,
        filters: filters.clone(),
        after: None,
    };
    match d.events(&opts) {
        Ok(list) => {
            if let Err(e) = print_events(&list, a.format.as_deref(), o) {
                return o.fail(e);
            }
            o.follow_events = Some(Box::new(FollowEvents {
                after: d.last_event(),
                until,
                filters,
                format: a.format.clone(),
            }));
        }
        Err(e) => o.daemon_error(&e),
    }
}

/// The events that came after `f`, printed into `o`; `f` moves on.
pub fn follow(f: &FollowEvents, d: &Daemon, o: &mut Outcome) -> Option<FollowEvents> {
    let opts = EventsOptions {
        until: f.until,
        filters: f.filters.clone(),
        after: Some(f.after),
        ..EventsOptions::default()
    };
    let list = d.events(&opts).ok()?;
    print_events(&list, f.format.as_deref(), o).ok()?;
    Some(FollowEvents {
        after: d.last_event(),
        ..f.clone()
    })
}

/// `--format` as the CLI reads it: `json` is `{{json .}}`.
fn parse_format(f: &str) -> Result<crate::golang::template::Template, String> {
    let src = if f == "json" {
        "{{json .}}".to_string()
    } else {
        unescape_tabs(f)
    };
    templates::parse(&src).map_err(|e| e.to_string())
}

fn print_events(list: &[Event], format: Option<&str>, o: &mut Outcome) -> Result<(), String> {
    let tmpl = match format {
        None | Some("") => None,
        Some(f) => Some(parse_format(f)?),
    };
    for e in list {
        match &tmpl {
            None => o.outln(e.pretty()),
            Some(t) => o.outln(
                t.execute_typed(
                    &e.message(),
                    &[("", "events.Message"), ("Actor", "events.Actor")],
                )
                .map_err(|e| e.to_string())?,
            ),
        }
    }
    Ok(())
}
