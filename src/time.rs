//! Virtual time: one clock type for every layer.
//!
//! vnet never reads the wall clock. A state starts at [`EPOCH`] and its clock only moves
//! forward, when a simulation runs (a `ping -w 4` takes four virtual seconds) or when a
//! command takes time in Docker too (`stop` waits out the grace period of a process that
//! ignores SIGTERM). Timestamps print as Docker prints them: RFC 3339 with nanoseconds
//! (Go's `time.RFC3339Nano`) in JSON, and go-units' `HumanDuration` in tables.
//!
//! Arithmetic saturates: a virtual clock never wraps (nor passes [`MAX`], the year 9999), and a span never goes negative (an
//! earlier instant minus a later one is zero), as smoltcp's `Instant` and `std::time` would
//! rather panic. Both types are one `u64` of microseconds (`repr(transparent)`), so they cost
//! nothing over the bare number; the number itself appears only where a value is serialised or
//! handed to smoltcp.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Sub};

/// A point in virtual time: microseconds since the Unix epoch.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
#[repr(transparent)]
pub struct Instant(pub u64);

/// A span of virtual time in microseconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
#[repr(transparent)]
pub struct Duration(pub u64);

/// Where every new state's clock starts: 2026-01-01T00:00:00Z.
pub const EPOCH: Instant = Instant(1_767_225_600 * 1_000_000);

/// The latest instant a clock reaches: 9999-12-31T23:59:59.999999Z, the last Go's JSON
/// writes (`Time.MarshalJSON` refuses years past 9999), so every timestamp vnet shows is one
/// Docker could. Adding time to an instant stops here.
pub const MAX: Instant = Instant(253_402_300_800 * 1_000_000 - 1);

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);

    /// `n` microseconds.
    pub const fn from_micros(n: u64) -> Duration {
        Duration(n)
    }
    /// `n` seconds.
    pub const fn from_secs(n: u64) -> Duration {
        Duration(n.saturating_mul(1_000_000))
    }
    /// `n` milliseconds.
    pub const fn from_millis(n: u64) -> Duration {
        Duration(n.saturating_mul(1_000))
    }
    /// Whole seconds.
    pub const fn as_secs(self) -> u64 {
        self.0 / 1_000_000
    }
    /// Microseconds.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// Whether it is no time at all.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// Saturates at [`MAX`] (an instant already past it stays where it is).
    #[inline]
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d.0).min(MAX.0.max(self.0)))
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    #[inline]
    fn sub(self, d: Duration) -> Instant {
        Instant(self.0.saturating_sub(d.0))
    }
}

impl Sub for Instant {
    type Output = Duration;
    #[inline]
    fn sub(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Add for Duration {
    type Output = Duration;
    #[inline]
    fn add(self, d: Duration) -> Duration {
        Duration(self.0.saturating_add(d.0))
    }
}

impl Sub for Duration {
    type Output = Duration;
    #[inline]
    fn sub(self, d: Duration) -> Duration {
        Duration(self.0.saturating_sub(d.0))
    }
}

impl Instant {
    /// Microseconds since the Unix epoch.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Seconds since the Unix epoch (what the Engine API's `Created` integers carry).
    pub const fn unix_secs(self) -> u64 {
        self.0 / 1_000_000
    }

    /// Go's `time.RFC3339Nano` in UTC: `2026-01-01T00:00:05.25Z`, trailing zeros of the
    /// fraction dropped, no fraction when it is zero.
    pub fn rfc3339_nano(self) -> String {
        let micros = self.0 % 1_000_000;
        let mut s = self.date_time();
        if micros != 0 {
            let frac = format!("{:09}", micros * 1000);
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        s.push('Z');
        s
    }

    /// moby's `jsonmessage.RFC3339NanoFixed` in UTC, as `docker logs -t` prints times:
    /// `2026-01-01T00:00:05.250000000Z`, always nine digits.
    pub fn rfc3339_nano_fixed(self) -> String {
        format!("{}.{:09}Z", self.date_time(), self.0 % 1_000_000 * 1000)
    }

    /// `2026-01-01T00:00:05`: the date and time of day in UTC, whole seconds.
    fn date_time(self) -> String {
        let secs = self.0 / 1_000_000;
        let (y, mo, d) = civil_from_days((secs / 86_400) as i64);
        let rem = secs % 86_400;
        format!(
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        )
    }

    /// `ps -f`'s STIME of a process started at this instant, seen at `now` (procps'
    /// `pr_stime`, in UTC): `15:04` the same day, `Jun06` another day of the same year,
    /// `2025` another year.
    pub fn ps_stime(self, now: Instant) -> String {
        let secs = self.0 / 1_000_000;
        let (y, mo, d) = civil_from_days((secs / 86_400) as i64);
        let (now_y, _, _) = civil_from_days((now.0 / 1_000_000 / 86_400) as i64);
        if now_y != y {
            format!("{y}")
        } else if now.0 / 1_000_000 / 86_400 != secs / 86_400 {
            format!("{}{d:02}", month_abbrev(mo))
        } else {
            let rem = secs % 86_400;
            format!("{:02}:{:02}", rem / 3600, rem / 60 % 60)
        }
    }

    /// An HTTP date (RFC 9110's IMF-fixdate): `Thu, 01 Jan 2026 00:00:00 GMT`.
    pub fn http_date(self) -> String {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        let secs = self.0 / 1_000_000;
        let days = secs / 86_400;
        let (y, mo, d) = civil_from_days(days as i64);
        let rem = secs % 86_400;
        let wd = DAYS.get((days % 7) as usize).copied().unwrap_or("Thu");
        let mon = month_abbrev(mo);
        format!(
            "{wd}, {d:02} {mon} {y:04} {:02}:{:02}:{:02} GMT",
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        )
    }

    /// Docker's `CreatedAt` column: `2026-01-01 00:00:00 +0000 UTC`.
    pub fn go_string(self) -> String {
        let secs = self.0 / 1_000_000;
        let (y, mo, d) = civil_from_days((secs / 86_400) as i64);
        let rem = secs % 86_400;
        format!(
            "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02} +0000 UTC",
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        )
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339_nano())
    }
}

/// `Jan` for month 1.
fn month_abbrev(month: u32) -> &'static str {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("Jan")
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// go-units `HumanDuration`, which `docker ps` uses for CREATED and STATUS.
pub fn human_duration(d: Duration) -> String {
    let seconds = d.0 / 1_000_000;
    let minutes = seconds / 60;
    let hours = (d.0 as f64 / 3_600_000_000.0 + 0.5) as u64;
    if seconds < 1 {
        "Less than a second".to_string()
    } else if seconds == 1 {
        "1 second".to_string()
    } else if seconds < 60 {
        format!("{seconds} seconds")
    } else if minutes == 1 {
        "About a minute".to_string()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".to_string()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", seconds / 3600 / 24 / 365)
    }
}

/// Parses a duration as Go's `time.ParseDuration` writes them in practice: `5s`, `1.5s`,
/// `100ms`, `2m`, `1h30m`, `250us`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "us" | "µs" => 1.0,
            "ms" => 1e3,
            "s" => 1e6,
            "m" => 60e6,
            "h" => 3600e6,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += value * scale;
    }
    Some(Duration(total.round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_stime() {
        let t = Instant(EPOCH.0 + 3_723_000_000);
        assert_eq!(t.ps_stime(Instant(t.0 + 60_000_000)), "01:02");
        assert_eq!(t.ps_stime(Instant(t.0 + 86_400_000_000)), "Jan01");
        assert_eq!(t.ps_stime(Instant(t.0 + 400 * 86_400_000_000)), "2026");
    }

    #[test]
    fn rfc3339() {
        assert_eq!(EPOCH.rfc3339_nano(), "2026-01-01T00:00:00Z");
        assert_eq!(EPOCH.http_date(), "Thu, 01 Jan 2026 00:00:00 GMT");
        assert_eq!(
            Instant(1_732_636_500 * 1_000_000).http_date(),
            "Tue, 26 Nov 2024 15:55:00 GMT"
        );
        assert_eq!(
            (EPOCH + Duration(5_250_000)).rfc3339_nano(),
            "2026-01-01T00:00:05.25Z"
        );
        assert_eq!(Instant(0).rfc3339_nano(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Instant(951_782_400_000_001).rfc3339_nano(),
            "2000-02-29T00:00:00.000001Z"
        );
        assert_eq!(EPOCH.go_string(), "2026-01-01 00:00:00 +0000 UTC");
        assert_eq!(
            (EPOCH + Duration(5_250_000)).rfc3339_nano_fixed(),
            "2026-01-01T00:00:05.250000000Z"
        );
    }

    #[test]
    fn human() {
        let s = Duration::from_secs;
        assert_eq!(human_duration(Duration(999_999)), "Less than a second");
        assert_eq!(human_duration(s(1)), "1 second");
        assert_eq!(human_duration(s(59)), "59 seconds");
        assert_eq!(human_duration(s(60)), "About a minute");
        assert_eq!(human_duration(s(3599)), "59 minutes");
        assert_eq!(human_duration(s(3600)), "About an hour");
        assert_eq!(human_duration(s(2 * 3600)), "2 hours");
        assert_eq!(human_duration(s(48 * 3600)), "2 days");
        assert_eq!(human_duration(s(15 * 86400)), "2 weeks");
        assert_eq!(human_duration(s(61 * 86400)), "2 months");
        assert_eq!(human_duration(s(800 * 86400)), "2 years");
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Instant(u64::MAX) + Duration(1), Instant(u64::MAX));
        assert_eq!(EPOCH + Duration(u64::MAX), MAX);
        assert_eq!(MAX.rfc3339_nano(), "9999-12-31T23:59:59.999999Z");
        assert_eq!(MAX + Duration(1), MAX);
        assert_eq!(Instant(1) - Instant(5), Duration::ZERO);
        assert_eq!(Instant(1) - Duration(5), Instant(0));
        assert_eq!(Duration(u64::MAX) + Duration(1), Duration(u64::MAX));
        assert_eq!(Duration(1) - Duration(2), Duration::ZERO);
        assert_eq!(Instant(10) + Duration(5), Instant(15));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration("1.5s"), Some(Duration(1_500_000)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("100ms"), Some(Duration::from_millis(100)));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("x"), None);
    }
}
