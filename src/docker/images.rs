//! `docker images` (`GET /images/json`) and `docker system df` (`GET /system/df`): moby's
//! `daemon/images/images.go` (`Images`: the filters, newest first) and `daemon/disk_usage.go`.
//!
//! A vnet host is offline: the images it has are the catalogue's ([`super::image`], tag
//! `latest`), those `vnet image create` made, and any other tag of a catalogue image a
//! container was made from (which a real host would have pulled). Nothing is stored, so an
//! image's size is what vnet knows of it (busybox's; 0 for the others), its ID is derived
//! from its name ([`super::inspect::image_id`]) and it was created at the virtual clock's
//! start. Containers write nothing, so their size is 0; there are no volumes and no build
//! cache.

use super::Daemon;
use super::error::{Error, Result};
use super::image::{self, familiar_tagged};
use super::inspect::image_id;
use crate::time::Instant;
use std::collections::BTreeMap;

/// One image: moby's `image.Summary`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSummary {
    /// `Id`: `sha256:…`.
    pub id: String,
    /// `RepoTags`: `busybox:latest`.
    pub repo_tags: Vec<String>,
    /// `Created`.
    pub created: Instant,
    /// `Size`, in bytes.
    pub size: u64,
    /// `Labels`.
    pub labels: BTreeMap<String, String>,
    /// `Containers`: how many containers (running or not) use it.
    pub containers: usize,
}

/// What `docker system df` counts: moby's `system.DiskUsage`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskUsage {
    /// Every image, with its `Containers` count.
    pub images: Vec<ImageSummary>,
    /// (container ID, running, size written): every container.
    pub containers: Vec<(String, bool, u64)>,
}

/// The filters `GET /images/json` takes (moby's `acceptedImageFilterTags`).
const IMAGE_FILTERS: [&str; 6] = ["dangling", "label", "before", "since", "reference", "until"];

impl Daemon {
    /// The names (`busybox:latest`) of the images the host has, sorted.
    fn held_names(&self) -> Vec<String> {
        let mut names: Vec<String> = image::catalogue().collect();
        names.extend(self.state.images.keys().cloned());
        for c in self.state.containers.values() {
            if self.image(&c.config.image).is_some() {
                names.push(familiar_tagged(&c.config.image));
            }
        }
        names.sort();
        names.dedup();
        names
    }

    /// The name of the image `term` names: a reference the host has, else an image ID
    /// (`sha256:` and the hex, or a prefix of the hex) of exactly one image it has, as
    /// moby's `GetImage` falls back to the image store's ID search.
    pub fn resolve_image(&self, term: &str) -> Option<String> {
        if self.image(term).is_some() {
            return Some(familiar_tagged(term));
        }
        let hex = term.strip_prefix("sha256:").unwrap_or(term);
        if hex.is_empty()
            || !hex
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        {
            return None;
        }
        let mut found = self.held_names().into_iter().filter(|n| {
            image_id(n)
                .strip_prefix("sha256:")
                .is_some_and(|id| id.starts_with(hex))
        });
        match (found.next(), found.next()) {
            (Some(n), None) => Some(n),
            _ => None,
        }
    }

    /// The images the host has, each once, newest first, then by name.
    fn images_held(&self) -> Vec<ImageSummary> {
        let names = self.held_names();
        let mut list: Vec<ImageSummary> = names
            .into_iter()
            .filter_map(|n| {
                let img = self.image(&n)?;
                let containers = self
                    .state
                    .containers
                    .values()
                    .filter(|c| familiar_tagged(&c.config.image) == n)
                    .count();
                Some(ImageSummary {
                    id: image_id(&n),
                    created: crate::time::EPOCH,
                    size: image::size(&n),
                    labels: img
                        .labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    containers,
                    repo_tags: vec![n],
                })
            })
            .collect();
        list.sort_by(|a, b| {
            b.created
                .cmp(&a.created)
                .then(a.repo_tags.cmp(&b.repo_tags))
        });
        list
    }

    /// `GET /images/json?filters=`: the images that pass every filter (`reference` glob
    /// patterns as `reference.FamiliarMatch` reads them, `label`, `dangling`, `before`/
    /// `since` an image, `until` a time).
    pub fn image_list(&self, filters: &[(String, String)]) -> Result<Vec<ImageSummary>> {
        for (k, v) in filters {
            if !IMAGE_FILTERS.contains(&k.as_str()) {
                return Err(Error::invalid_filter(k));
            }
            // moby's `Images`: exactly `true` or `false`.
            if k == "dangling" && v != "true" && v != "false" {
                return Err(Error::new(
                    super::error::Kind::InvalidParameter,
                    format!("Invalid filter 'dangling=[{v}]'"),
                ));
            }
        }
        let held = self.images_held();
        // `before`/`since` name an image the host has: its creation time bounds the list.
        let mut bounds: Vec<(bool, Instant)> = Vec::new();
        for (k, v) in filters
            .iter()
            .filter(|(k, _)| k == "before" || k == "since")
        {
            let created = self
                .resolve_image(v)
                .and_then(|n| held.iter().find(|i| i.repo_tags.contains(&n)))
                .map(|i| i.created)
                .ok_or_else(|| Error::no_such_image(&familiar_tagged(v)))?;
            bounds.push((k == "before", created));
        }
        let mut untils: Vec<Instant> = Vec::new();
        for (_, v) in filters.iter().filter(|(k, _)| k == "until") {
            let ts = super::timestamp::get_timestamp(v, self.now())
                .and_then(|t| super::timestamp::parse_timestamps(&t))
                .map_err(|e| Error::new(super::error::Kind::InvalidParameter, e))?;
            untils.push(ts);
        }
        let values = |key: &str| -> Vec<&str> {
            filters
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        let (refs, labels, dangling) = (values("reference"), values("label"), values("dangling"));
        // moby's `Images` returns `reference.FamiliarMatch`'s error.
        if refs.iter().any(|p| !pattern_ok(p)) {
            return Err(Error::new(
                super::error::Kind::System,
                "syntax error in pattern",
            ));
        }
        Ok(held
            .into_iter()
            .filter(|i| {
                // Every image has a tag: none dangles.
                dangling.iter().all(|d| *d == "false")
                    && (refs.is_empty()
                        || refs
                            .iter()
                            .any(|p| i.repo_tags.iter().any(|t| familiar_match(p, t))))
                    && labels.iter().all(|l| match l.split_once('=') {
                        Some((k, v)) => i.labels.get(k).is_some_and(|x| x == v),
                        None => i.labels.contains_key(*l),
                    })
                    && bounds
                        .iter()
                        .all(|&(before, t)| if before { i.created < t } else { i.created > t })
                    && untils.iter().all(|&t| i.created <= t)
            })
            .collect())
    }

    /// `GET /system/df`: the images (with how many containers use each) and the
    /// containers.
    pub fn disk_usage(&self) -> DiskUsage {
        DiskUsage {
            images: self.images_held(),
            // Newest first, as `ps -a` lists them.
            containers: self
                .state
                .containers
                .values()
                .rev()
                .map(|c| (c.id.clone(), c.is_running(), 0))
                .collect(),
        }
    }
}

/// `reference.FamiliarMatch`: `pattern` (Go's `path.Match`) against `busybox:latest`, then
/// against the name alone (`busybox`): what `images --filter reference=PATTERN` keeps.
pub fn familiar_match(pattern: &str, tagged: &str) -> bool {
    let name = match tagged.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => n,
        _ => tagged,
    };
    path_match(pattern, tagged) || path_match(pattern, name)
}

/// Go's `path.Match`: `*` any run of characters but `/`, `?` one of them, `[...]` a class
/// (`^` negates, ranges `a-z`), `\\` escapes; a malformed pattern matches nothing. Go's
/// algorithm: the pattern in chunks, each after its stars matched at the first place it
/// fits, so the work is the pattern's length times the name's.
fn path_match(pattern: &str, name: &str) -> bool {
    let (pv, nv): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut p, mut n): (&[char], &[char]) = (&pv, &nv);
    'pattern: while !p.is_empty() {
        let (star, chunk, rest) = scan_chunk(p);
        if star && chunk.is_empty() {
            // A trailing star matches the rest unless it holds a `/`.
            return !n.contains(&'/');
        }
        let last = rest.is_empty();
        if let Some(t) = match_chunk(chunk, n)
            && (t.is_empty() || !last)
        {
            n = t;
            p = rest;
            continue;
        }
        if star {
            let mut i = 0;
            while i < n.len() && n.get(i) != Some(&'/') {
                if let Some(t) = match_chunk(chunk, n.get(i + 1..).unwrap_or_default()) {
                    if last && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    n = t;
                    p = rest;
                    continue 'pattern;
                }
                i += 1;
            }
        }
        return false;
    }
    n.is_empty()
}

/// A class's ranges after its `[` (and `^`), as Go's `matchChunk` reads them through
/// `getEsc`: whether `ch` is in one, and what follows the closing `]`; `None` for a
/// malformed class.
fn class(mut body: &[char], ch: char) -> Option<(bool, &[char])> {
    let mut hit = false;
    let mut ranges = 0;
    loop {
        if let [']', after @ ..] = body
            && ranges > 0
        {
            return Some((hit, after));
        }
        let (lo, rest) = get_esc(body)?;
        let (hi, rest) = match rest {
            ['-', after @ ..] => get_esc(after)?,
            _ => (lo, rest),
        };
        hit |= (lo..=hi).contains(&ch);
        body = rest;
        ranges += 1;
    }
}

/// Go's `getEsc`: one possibly escaped character of a class, not `-` or `]`, with more
/// of the class after it.
fn get_esc(chunk: &[char]) -> Option<(char, &[char])> {
    let (c, rest) = match chunk {
        ['-' | ']', ..] | [] => return None,
        ['\\', e, rest @ ..] => (*e, rest),
        ['\\'] => return None,
        [c, rest @ ..] => (*c, rest),
    };
    (!rest.is_empty()).then_some((c, rest))
}

/// Whether Go's `path.Match` reads `pattern` without `ErrBadPattern` (it checks the whole
/// pattern, even past a mismatch).
pub fn pattern_ok(pattern: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let mut rest: &[char] = &p;
    while let Some((&c, after)) = rest.split_first() {
        rest = match c {
            '\\' => match after.split_first() {
                Some((_, a)) => a,
                None => return false,
            },
            '[' => {
                let body = match after {
                    ['^', b @ ..] => b,
                    b => b,
                };
                match class(body, '\0') {
                    Some((_, a)) => a,
                    None => return false,
                }
            }
            _ => after,
        };
    }
    true
}

/// `scanChunk`: leading stars, then the chunk up to the next star outside a class.
fn scan_chunk(p: &[char]) -> (bool, &[char], &[char]) {
    let mut i = 0;
    while p.get(i) == Some(&'*') {
        i += 1;
    }
    let star = i > 0;
    let start = i;
    let mut in_range = false;
    while let Some(&c) = p.get(i) {
        match c {
            '\\' => i += 1,
            '[' => in_range = true,
            ']' => in_range = false,
            '*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    let end = i.min(p.len());
    let chunk = p.get(start..end).unwrap_or_default();
    (star, chunk, p.get(end..).unwrap_or_default())
}

/// `matchChunk`: what is left of `s` after `chunk` matched its start, if it did.
fn match_chunk<'a>(chunk: &[char], s: &'a [char]) -> Option<&'a [char]> {
    let (mut c, mut s) = (chunk, s);
    while let Some((&first, rest)) = c.split_first() {
        match first {
            '[' => {
                let (&ch, tail) = s.split_first()?;
                let (negate, mut body) = match rest.split_first() {
                    Some(('^', b)) => (true, b),
                    _ => (false, rest),
                };
                let (hit, after) = class(body, ch)?;
                body = after;
                if hit == negate {
                    return None;
                }
                c = body;
                s = tail;
            }
            '?' => {
                let (&ch, tail) = s.split_first()?;
                if ch == '/' {
                    return None;
                }
                c = rest;
                s = tail;
            }
            '\\' => {
                let (&e, after) = rest.split_first()?;
                let (&ch, tail) = s.split_first()?;
                if e != ch {
                    return None;
                }
                c = after;
                s = tail;
            }
            x => {
                let (&ch, tail) = s.split_first()?;
                if x != ch {
                    return None;
                }
                c = rest;
                s = tail;
            }
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_match_as_familiar_match() {
        assert!(familiar_match("busybox", "busybox:latest"));
        assert!(familiar_match("busybox:latest", "busybox:latest"));
        assert!(familiar_match("busy*", "busybox:latest"));
        assert!(familiar_match("*:latest", "busybox:latest"));
        assert!(!familiar_match("*", "nicolaka/netshoot:latest"));
        assert!(familiar_match("*/*", "nicolaka/netshoot:latest"));
        assert!(familiar_match("b?sybox", "busybox:latest"));
        assert!(familiar_match("[a-c]usybox", "busybox:latest"));
        assert!(!familiar_match("[^b]usybox", "busybox:latest"));
        assert!(!familiar_match("busybox:1", "busybox:latest"));
        assert!(!familiar_match("[", "busybox:latest"));
        assert!(familiar_match("[a-\\z]usybox", "busybox:latest"));
        for bad in ["[", "[]a]", "[]]", "[-a]", "x\\", "[a-]", "[^"] {
            assert!(!pattern_ok(bad), "{bad}");
        }
        for good in ["*", "[a-z]*", "\\*", "[\\]]", "[^a]b"] {
            assert!(pattern_ok(good), "{good}");
        }
        assert!(familiar_match("*x*", "busybox:latest"));
        assert!(familiar_match("*:*", "busybox:latest"));
        // Many stars cost the pattern's length times the name's, not more.
        let stars = format!("{}z", "*a".repeat(4000));
        assert!(!familiar_match(&stars, &"a".repeat(200)));
    }
}
