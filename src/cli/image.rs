//! `vnet image create|ls`: vnet's own commands for the images a simulated host has. Docker's
//! equivalent is a `docker build` of an image whose program listens (or a `docker pull`);
//! a vnet host is offline and has the catalogue of [`crate::docker::image`], plus what
//! `image create` makes from it: a base image's defaults and servers on more TCP ports.

use super::{Outcome, Want, arity};
use crate::docker::Daemon;
use crate::docker::image::{self, CreatedImage, Service};
use crate::golang::tabwriter;
use clap::{Args, Subcommand};

/// `vnet image ...`.
#[derive(Subcommand, Debug)]
pub enum ImageCommand {
    /// Create an image from another, with servers on more ports
    Create(CreateArgs),
    /// List the images the host has
    #[command(alias = "list")]
    Ls,
}

/// `image create` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct CreateArgs {
    /// The image it starts from
    #[arg(long)]
    from: Option<String>,
    /// A TCP server its program runs: tcp/PORT=KIND (KIND: http, nginx, redis, postgres, echo)
    #[arg(long)]
    listen: Vec<String>,
    /// NAME[:TAG]
    args: Vec<String>,
}

/// Most servers one image may add.
const MAX_LISTENS: usize = 64;

/// `tcp/8080=echo` → (8080, Echo).
fn listen(s: &str) -> Option<(u16, Service)> {
    let (port, kind) = s.strip_prefix("tcp/")?.split_once('=')?;
    let port: u16 = port.parse().ok().filter(|p| *p > 0)?;
    Some((port, Service::parse(kind)?))
}

/// docker/distribution's reference grammar for a name to tag (lowercase path components
/// of `[a-z0-9]` joined by `.`, `_`, `__` or `-`, an optional `:TAG` of `[\w][\w.-]{0,127}`).
fn valid_name(name: &str) -> Result<(), String> {
    let (path, tag) = match name.rsplit_once(':') {
        Some((p, t)) if !t.contains('/') => (p, Some(t)),
        _ => (name, None),
    };
    if path.is_empty() || path.len() > 255 {
        return Err("invalid reference format".into());
    }
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "invalid reference format: repository name ({path}) must be lowercase"
        ));
    }
    let component = |c: &str| {
        !c.is_empty()
            && c.starts_with(|x: char| x.is_ascii_alphanumeric())
            && c.ends_with(|x: char| x.is_ascii_alphanumeric())
            && c.chars()
                .all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || "._-".contains(x))
    };
    let tag_ok = tag.is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && t.starts_with(|x: char| x.is_ascii_alphanumeric() || x == '_')
            && t.chars()
                .all(|x| x.is_ascii_alphanumeric() || "_.-".contains(x))
    });
    if path.split('/').all(component) && tag_ok {
        Ok(())
    } else {
        Err("invalid reference format".into())
    }
}

pub(super) fn run(cmd: &ImageCommand, prog: &str, d: &mut Daemon, o: &mut Outcome) {
    match cmd {
        ImageCommand::Create(a) => {
            if !arity(prog, "image create", a.args.len(), Want::Exactly(1), o) {
                return;
            }
            let [name] = a.args.as_slice() else {
                return;
            };
            if let Err(e) = valid_name(name) {
                return o.fail(e);
            }
            let Some(from) = a.from.as_deref() else {
                return o.fail("vnet image create: --from IMAGE is required");
            };
            if a.listen.len() > MAX_LISTENS {
                return o.fail(format!(
                    "vnet image create: an image runs at most {MAX_LISTENS} servers"
                ));
            }
            let mut adds: Vec<(u16, Service)> = Vec::new();
            for l in &a.listen {
                let Some((port, service)) = listen(l) else {
                    return o.fail(format!(
                        "invalid argument \"{l}\" for \"--listen\" flag: expected tcp/PORT=KIND, KIND one of http, nginx, redis, postgres, echo"
                    ));
                };
                adds.retain(|(p, _)| *p != port);
                adds.push((port, service));
            }
            let tagged = image::familiar_tagged(name);
            // A running container keeps the image it was made from; vnet keeps one image per
            // name, so a name the host has already is not taken again.
            if d.image(&tagged).is_some() {
                return o.fail(format!(
                    "vnet image create: the host has an image {tagged} already; choose another name"
                ));
            }
            let base = image::familiar_tagged(from);
            // Made flat: the catalogue image at the root, and every server the chain adds.
            let (root, mut listens) = match d.state.images.get(&base) {
                Some(c) => (c.from.clone(), c.listens.clone()),
                None if d.image(&base).is_some() => (base.clone(), Vec::new()),
                None => {
                    return o.daemon_error(&crate::docker::Error::no_such_image(&base));
                }
            };
            for (port, service) in adds {
                listens.retain(|(p, _)| *p != port);
                listens.push((port, service));
            }
            if listens.len() > MAX_LISTENS {
                return o.fail(format!(
                    "vnet image create: an image runs at most {MAX_LISTENS} servers"
                ));
            }
            d.state.images.insert(
                tagged.clone(),
                CreatedImage {
                    from: root,
                    parent: base,
                    listens,
                },
            );
            o.outln(tagged);
        }
        ImageCommand::Ls => {
            // (image, the image it was made from, its servers)
            type Row = (String, String, Vec<(u16, Service)>);
            let mut rows: Vec<Row> = image::catalogue()
                .filter(|n| !d.state.images.contains_key(n))
                .map(|n| {
                    let listens = d.image(&n).map(|i| i.listens).unwrap_or_default();
                    (n, String::new(), listens)
                })
                .collect();
            for (n, c) in &d.state.images {
                let listens = d.image(n).map(|i| i.listens).unwrap_or_default();
                rows.push((n.clone(), c.parent.clone(), listens));
            }
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            let mut t = String::from("IMAGE\tFROM\tLISTENS\n");
            for (n, from, listens) in rows {
                let l: Vec<String> = listens
                    .iter()
                    .map(|(p, s)| format!("tcp/{p}={}", s.name()))
                    .collect();
                t.push_str(&format!("{n}\t{from}\t{}\n", l.join(",")));
            }
            o.out(tabwriter::align(&t, 0, 3));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_listens() {
        assert!(valid_name("web").is_ok());
        assert!(valid_name("lab/web-1:v2.0").is_ok());
        assert!(valid_name("Web").is_err());
        assert!(valid_name("web:").is_err());
        assert!(valid_name("-web").is_err());
        assert_eq!(listen("tcp/7=echo"), Some((7, Service::Echo)));
        assert_eq!(listen("tcp/8080=http"), Some((8080, Service::Httpd)));
        assert_eq!(listen("udp/7=echo"), None);
        assert_eq!(listen("tcp/0=echo"), None);
        assert_eq!(listen("tcp/7=ftp"), None);
    }
}
