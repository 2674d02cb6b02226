//! The images a simulated host has. `docker images` / `image ls` and `image inspect` as
//! docker/cli prints them (`cli/command/image/list.go`, `formatter/image.go`, `inspect.go`)
//! over [`Daemon::image_list`]; `image create` is vnet's own: Docker's equivalent is a
//! `docker build` of an image whose program listens (or a `docker pull`); a vnet host is
//! offline and has the catalogue of [`crate::docker::image`], plus what `image create`
//! makes from it: a base image's defaults and servers on more TCP ports. `image ls` rows
//! have two fields of vnet's own for `--format`: `.From` (the image it was made from) and
//! `.Listens` (the servers its command runs).

use super::format::{self, Format, RowType};
use super::{Outcome, Want, arity};
use crate::docker::Daemon;
use crate::docker::image::{self, CreatedImage, Service};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

/// `vnet image ...`.
#[derive(Subcommand, Debug)]
pub enum ImageCommand {
    /// Create an image from another, with servers on more ports (vnet's own)
    Create(CreateArgs),
    /// Display detailed information on one or more images
    Inspect(ImageInspectArgs),
    /// List images
    #[command(alias = "list")]
    Ls(ImagesArgs),
}

/// `images` / `image ls` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct ImagesArgs {
    /// Show all images (default hides intermediate images)
    #[arg(short, long)]
    all: bool,
    /// Show digests
    #[arg(long)]
    digests: bool,
    /// Filter output based on conditions provided
    #[arg(short, long, value_name = "filter")]
    filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long, value_name = "string")]
    format: Option<String>,
    /// Don't truncate output
    #[arg(long)]
    no_trunc: bool,
    /// Only show image IDs
    #[arg(short, long)]
    quiet: bool,
    /// [REPOSITORY[:TAG]]
    args: Vec<String>,
}

/// `image inspect` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct ImageInspectArgs {
    /// Format output using a custom template
    #[arg(short, long, value_name = "string")]
    format: Option<String>,
    /// IMAGE...
    args: Vec<String>,
}

/// docker/cli's default `images` table, and with `--digests`.
const IMAGES_TABLE: &str = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
const IMAGES_DIGESTS_TABLE: &str =
    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";

/// `runImages`: the daemon's list with `reference=` for the positional argument.
pub(super) fn images(a: &ImagesArgs, prog: &str, path: &str, d: &Daemon, o: &mut Outcome) {
    if !arity(prog, path, a.args.len(), Want::AtMost(1), o) {
        return;
    }
    let mut terms = match super::opts::filter_terms(&a.filter) {
        Ok(t) => t,
        Err(e) => return super::usage_error(o, prog, path, &e),
    };
    if let Some(r) = a.args.first() {
        terms.push(("reference".into(), r.clone()));
    }
    let list = match d.image_list(&terms) {
        Ok(l) => l,
        Err(e) => return o.daemon_error(&e),
    };
    let now = d.now();
    let rows: Vec<Value> = list
        .iter()
        .map(|i| {
            let tagged = i.repo_tags.first().cloned().unwrap_or_default();
            let (repo, tag) = match tagged.rsplit_once(':') {
                Some((r, t)) if !t.contains('/') => (r.to_string(), t.to_string()),
                _ => (tagged.clone(), "<none>".to_string()),
            };
            let id = if a.no_trunc {
                i.id.clone()
            } else {
                let hex = i.id.strip_prefix("sha256:").unwrap_or(&i.id);
                hex.get(..12).unwrap_or(hex).to_string()
            };
            let (from, listens) = match d.state.images.get(&tagged) {
                Some(c) => (c.parent.clone(), c.listens.clone()),
                None => (
                    String::new(),
                    d.image(&tagged).map(|i| i.listens).unwrap_or_default(),
                ),
            };
            let listens: Vec<String> = listens
                .iter()
                .map(|(p, s)| format!("tcp/{p}={}", s.name()))
                .collect();
            json!({
                "Containers": "N/A",
                "CreatedAt": i.created.go_string(),
                "CreatedSince": format!("{} ago", crate::time::human_duration(now - i.created)),
                "Digest": "<none>",
                "ID": id,
                "Repository": repo,
                "SharedSize": "N/A",
                "Size": format::human_size(i.size),
                "Tag": tag,
                "UniqueSize": "N/A",
                "VirtualSize": format::human_size(i.size),
                // vnet's own, as methods: no fields of the JSON form.
                "From()": from,
                "Listens()": listens.join(","),
            })
        })
        .collect();
    let header = json!({
        "Containers": "CONTAINERS", "CreatedAt": "CREATED AT", "CreatedSince": "CREATED",
        "Digest": "DIGEST", "ID": "IMAGE ID", "Repository": "REPOSITORY",
        "SharedSize": "SHARED SIZE", "Size": "SIZE", "Tag": "TAG", "UniqueSize": "UNIQUE SIZE",
        "VirtualSize": "VIRTUAL SIZE", "From()": "FROM", "Listens()": "LISTENS",
    });
    let fmt = if a.quiet {
        Format::Raw("{{.ID}}".into())
    } else if a.digests && a.format.is_none() {
        Format::parse(None, IMAGES_DIGESTS_TABLE)
    } else {
        Format::parse(a.format.as_deref(), IMAGES_TABLE)
    };
    let row_type = RowType {
        name: "*formatter.imageContext",
        prefix: "template parsing error: ",
        typed_columns: false,
    };
    match format::render(&fmt, &header, &rows, Some(row_type), None) {
        Ok(s) => o.out(s),
        Err(e) => o.fail(e),
    }
}

/// `image inspect`: each image as `GET /images/{name}/json` answers, in one array.
fn inspect(a: &ImageInspectArgs, prog: &str, d: &Daemon, o: &mut Outcome) {
    if !arity(prog, "image inspect", a.args.len(), Want::AtLeast(1), o) {
        return;
    }
    let found = a
        .args
        .iter()
        .map(|name| {
            d.image_inspect(name).ok_or_else(|| {
                super::daemon_msg(&crate::docker::Error::no_such_image(
                    &image::familiar_tagged(name),
                ))
            })
        })
        .collect();
    super::inspect::print_inspect(found, a.format.as_deref(), o);
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
        ImageCommand::Ls(a) => images(a, prog, "image ls", d, o),
        ImageCommand::Inspect(a) => inspect(a, prog, d, o),
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
