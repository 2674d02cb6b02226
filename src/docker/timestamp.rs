//! The `--since`/`--until` values of `docker logs` and `docker events`: moby's
//! `api/types/time/timestamp.go`. The client turns what the user typed into a Unix
//! timestamp (`GetTimestamp`: a Go duration before the reference time, an RFC 3339 time or
//! date, or a Unix timestamp passed on as it is); the daemon reads that back
//! (`ParseTimestamps`: `SECONDS[.NANOSECONDS]`).
//!
//! vnet's reference time is the host's virtual clock, and its local time zone UTC (a time
//! without a zone is read as UTC, as Go reads it on a host whose zone is UTC).

use crate::time::{Duration, Instant, MAX, parse_duration};

/// `GetTimestamp(value, reference)`: the Unix timestamp (`SECONDS` or
/// `SECONDS.NANOSECONDS`) the client sends for `value`, or the client's error.
pub fn get_timestamp(value: &str, reference: Instant) -> Result<String, String> {
    if value != "0"
        && let Some(d) = go_duration(value)
    {
        let t = match d {
            Ok(back) => Instant(reference.0.saturating_sub(back.0)),
            Err(ahead) => reference + ahead,
        };
        return Ok(t.unix_secs().to_string());
    }
    // A Z, a + or three dashes carry a zone; anything else is local time.
    let zoned = value.contains(['z', 'Z', '+']) || value.matches('-').count() == 3;
    match parse_rfc3339ish(value, zoned) {
        Some(t) => Ok(format!("{}.{:09}", t.0 / 1_000_000, t.0 % 1_000_000 * 1000)),
        None if value.contains('-') => Err(format!("parsing time {value:?}: cannot parse")),
        None => match parse_timestamps(value) {
            Ok(_) => Ok(value.to_string()),
            Err(_) => Err(format!(
                "failed to parse value as time or duration: {value:?}"
            )),
        },
    }
}

/// Go's `time.ParseDuration` of `value`: `Ok(span)` for a span before the reference,
/// `Err(span)` for a negative duration (a span after it); `None` when it is no duration.
fn go_duration(value: &str) -> Option<Result<Duration, Duration>> {
    let (neg, rest) = match value.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, value.strip_prefix('+').unwrap_or(value)),
    };
    if rest == "0" {
        return Some(Ok(Duration::ZERO));
    }
    let d = parse_duration(rest)?;
    Some(if neg { Err(d) } else { Ok(d) })
}

/// The layouts `GetTimestamp` picks by the value's shape: a date, a date and hour, hour
/// and minute, or a full time, with a fraction of seconds or not, with a zone (`Z`,
/// `+07:00`) or in local time (UTC here).
fn parse_rfc3339ish(value: &str, zoned: bool) -> Option<Instant> {
    let (date, rest) = match value.split_once('T') {
        Some((d, r)) => (d, Some(r)),
        None => (value, None),
    };
    let (date, date_zone) = if rest.is_none() && zoned {
        // `2006-01-02Z07:00`
        split_zone(date)?
    } else {
        (date, 0)
    };
    let mut parts = date.split('-');
    let (y, mo, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || mo.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, mo, d): (i64, u32, u32) = (num(y)?, num(mo)?, num(d)?);
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) {
        return None;
    }
    let mut secs = days_from_civil(y, mo, d) * 86_400;
    let mut micros = 0u64;
    let mut offset = date_zone;
    if let Some(rest) = rest {
        let (clock, zone) = if zoned { split_zone(rest)? } else { (rest, 0) };
        offset = zone;
        let (hms, frac) = match clock.split_once('.') {
            Some((a, f)) => (a, Some(f)),
            None => (clock, None),
        };
        let fields: Vec<&str> = hms.split(':').collect();
        if fields.is_empty() || fields.len() > 3 || fields.iter().any(|f| f.len() != 2) {
            return None;
        }
        let mut unit = 3600;
        for (i, f) in fields.iter().enumerate() {
            let v: i64 = num(f)?;
            let limit = if i == 0 { 24 } else { 60 };
            if v >= limit {
                return None;
            }
            secs += v * unit;
            unit /= 60;
        }
        if let Some(f) = frac {
            if fields.len() != 3
                || f.is_empty()
                || f.len() > 9
                || !f.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let nanos: u64 = format!("{f:0<9}").parse().ok()?;
            micros = nanos / 1000;
        }
    }
    let secs = u64::try_from(secs - offset).ok()?;
    let t = Instant(secs.checked_mul(1_000_000)?.checked_add(micros)?);
    (t <= MAX).then_some(t)
}

/// `CLOCK+07:00`, `CLOCK-07:00` or `CLOCKZ`: the clock and the zone's offset in seconds.
fn split_zone(s: &str) -> Option<(&str, i64)> {
    if let Some(c) = s.strip_suffix(['Z', 'z']) {
        return Some((c, 0));
    }
    let at = s.rfind(['+', '-'])?;
    let (clock, zone) = s.split_at(at);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let (h, m) = zone.get(1..)?.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i64, i64) = (num(h)?, num(m)?);
    Some((clock, sign * (h * 3600 + m * 60)))
}

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// (year, month, day) to days since 1970-01-01 (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `ParseTimestamps`: the daemon's reading of a `since`/`until` query value
/// (`SECONDS[.NANOSECONDS]`, nanoseconds past nine digits dropped), as virtual time.
pub fn parse_timestamps(value: &str) -> Result<Instant, String> {
    let (s, n) = match value.split_once('.') {
        Some((s, n)) => (s, n),
        None => (value, ""),
    };
    let secs: i64 = s
        .parse()
        .map_err(|_| format!("strconv.ParseInt: parsing {s:?}: invalid syntax"))?;
    let nanos: u64 = if n.is_empty() {
        0
    } else {
        let n: String = n.chars().take(9).collect();
        format!("{n:0<9}")
            .parse()
            .map_err(|_| format!("strconv.ParseInt: parsing {n:?}: invalid syntax"))?
    };
    let secs = u64::try_from(secs).unwrap_or(0);
    let micros = secs.saturating_mul(1_000_000).saturating_add(nanos / 1000);
    Ok(Instant(micros).min(MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::EPOCH;

    #[test]
    fn the_clients_conversions() {
        let now = EPOCH + Duration::from_secs(90);
        assert_eq!(get_timestamp("1m", now).as_deref(), Ok("1767225630"));
        assert_eq!(get_timestamp("0", now).as_deref(), Ok("0"));
        assert_eq!(
            get_timestamp("2026-01-01T00:00:30Z", now).as_deref(),
            Ok("1767225630.000000000")
        );
        assert_eq!(
            get_timestamp("2026-01-01T00:00:30.5Z", now).as_deref(),
            Ok("1767225630.500000000")
        );
        assert_eq!(
            get_timestamp("2026-01-01T01:00:30+01:00", now).as_deref(),
            Ok("1767225630.000000000")
        );
        assert_eq!(
            get_timestamp("2026-01-01", now).as_deref(),
            Ok("1767225600.000000000")
        );
        assert_eq!(
            get_timestamp("2026-01-01T00:01", now).as_deref(),
            Ok("1767225660.000000000")
        );
        assert_eq!(
            get_timestamp("1767225630.25", now).as_deref(),
            Ok("1767225630.25")
        );
        assert_eq!(
            get_timestamp("soon", now),
            Err("failed to parse value as time or duration: \"soon\"".to_string())
        );
        assert!(get_timestamp("2026-13-01", now).is_err());
    }

    #[test]
    fn the_daemons_reading() {
        assert_eq!(
            parse_timestamps("1767225630.500000000"),
            Ok(EPOCH + Duration::from_millis(30_500))
        );
        assert_eq!(parse_timestamps("1767225600"), Ok(EPOCH));
        assert!(parse_timestamps("x").is_err());
    }
}
