//! `sleep` (busybox coreutils/sleep.c with FANCY_SLEEP, as ash's builtin): waits the sum of
//! its durations (`1.5`, `2m`; suffixes `s`, `m`, `h`, `d`) in virtual time: the container's
//! clock moves on, no wall time passes. A wait longer than a command's simulation budget
//! stops at the budget, as a simulation would. Paced to the wall clock (`--realtime`, a
//! container's command the daemon runs in the background) it waits that long, and an
//! interrupt ends it there.

use super::applet::{ExecOptions, ExecResult};
use crate::docker::sandbox::Sandbox;
use crate::engine::budget::Exceeded;
use crate::time::Duration;

/// One duration, as busybox's `parse_duration_str` reads it.
pub(super) fn duration(s: &str) -> Option<f64> {
    let (num, mult) = match s.char_indices().last()? {
        (i, 's') => (s.get(..i)?, 1.0),
        (i, 'm') => (s.get(..i)?, 60.0),
        (i, 'h') => (s.get(..i)?, 3600.0),
        (i, 'd') => (s.get(..i)?, 86400.0),
        _ => (s, 1.0),
    };
    if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    num.parse::<f64>()
        .ok()
        .map(|v| v * mult)
        .filter(|v| v.is_finite())
}

/// `sleep ARGS`; `name` is what its errors start with (`sleep`, or `sh` for ash's builtin).
pub fn run(sb: &mut Sandbox, name: &str, args: &[&str], opts: &ExecOptions) -> ExecResult {
    let args = match args.split_first() {
        Some((&"--", rest)) => rest,
        _ => args,
    };
    if args.is_empty() {
        return ExecResult::err(format!("{name}: sleep: missing operand\n"), 1);
    }
    let mut secs = 0.0;
    for a in args {
        match duration(a) {
            Some(v) => secs += v,
            None => return ExecResult::err(format!("{name}: invalid number '{a}'\n"), 1),
        }
    }
    let micros = (secs * 1e6).min(u64::MAX as f64) as u64;
    let d = Duration::from_micros(micros);
    // Paced, the wait is the wall clock's, which an interrupt ends: no budget applies.
    if let Some(t) = opts.terminal.as_ref().filter(|_| opts.realtime) {
        let waited = super::applet::wait_wall_clock(d, &|| t.0.interrupted());
        sb.advance_to(sb.now() + waited);
        if waited < d {
            // Interrupted (SIGINT): the shell reports 130.
            return ExecResult::err(String::new(), 130);
        }
        return ExecResult::default();
    }
    let budget = sb.budget().time;
    if d > budget {
        sb.advance_to(sb.now() + budget);
        return ExecResult::err(format!("vnet: {}\n", Exceeded::Time(budget)), 1);
    }
    sb.advance_to(sb.now() + d);
    ExecResult::default()
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations() {
        assert_eq!(duration("2"), Some(2.0));
        assert_eq!(duration("1.5"), Some(1.5));
        assert_eq!(duration("2m"), Some(120.0));
        assert_eq!(duration("1d"), Some(86400.0));
        assert_eq!(duration("x"), None);
        assert_eq!(duration("-1"), None);
        assert_eq!(duration("s"), None);
    }
}
