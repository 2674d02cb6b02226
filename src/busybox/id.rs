//! `id` and `whoami` (busybox coreutils/id.c, whoami.c): who the command runs as, its user
//! and groups by number and by the names the image's `/etc/passwd` and `/etc/group` give
//! them. The user is the exec's `-u`, else the container's `User`, else root
//! ([`Sandbox::user`]); its groups are those the runtime gave it (`getgroups`).

use super::applet::{ExecResult, Getopt};
use crate::docker::container::user::{self, ExecUser};
use crate::docker::sandbox::Sandbox;

/// id's usage text after `Usage: id `.
const ID_USAGE: &str = "[-ugGnr] [USER]\n\nPrint information about USER or the current user\n\n\t-u\tUser ID\n\t-g\tGroup ID\n\t-G\tSupplementary group IDs\n\t-n\tPrint names instead of numbers\n\t-r\tPrint real ID instead of effective ID";

fn usage(applet: &str, text: &str) -> ExecResult {
    let gap = if text.starts_with('\n') { "" } else { " " };
    ExecResult::err(
        format!("BusyBox v1.36.1 multi-call binary.\n\nUsage: {applet}{gap}{text}\n"),
        1,
    )
}

/// `id [-ugGnr] [USER]`.
pub fn id(sb: &Sandbox, args: &[&str]) -> ExecResult {
    let g = match Getopt::parse("id", args, "ugGnr", "", false, ID_USAGE) {
        Ok(g) => g,
        Err(e) => return *e,
    };
    // getopt32's "u--g:g--u:G--u:u--G:g--G:G--g": of -u, -g and -G the last given counts.
    let which = g.flags.iter().rev().find(|c| matches!(c, 'u' | 'g' | 'G'));
    // "?1": one USER at most; "r?ugG:n?ugG": -r and -n only with one of them.
    if g.operands.len() > 1 || (which.is_none() && (g.has('n') || g.has('r'))) {
        return usage("id", ID_USAGE);
    }
    let (passwd, group) = sb.user_files();
    let (passwd, group) = (passwd.as_str(), group.as_str());
    let who = match g.operands.first() {
        // xgetpwnam: the user's entry, its groups those listing it (getgrouplist).
        Some(name) => match user::lookup(name, passwd, group) {
            Ok(u) if user::passwd_entries(passwd).any(|e| e.name == *name) => u,
            _ => return ExecResult::err(format!("id: unknown user {name}\n"), 1),
        },
        None => sb.user(),
    };
    let ids: Vec<u32> = match which {
        Some('u') => vec![who.uid],
        Some('g') => vec![who.gid],
        // -G: the group first, then the others (not the group again).
        Some(_) => std::iter::once(who.gid)
            .chain(who.groups.iter().copied().filter(|&g| g != who.gid))
            .collect(),
        None => return ExecResult::out(format!("{}\n", full(&who, passwd, group))),
    };
    let mut r = ExecResult::default();
    let mut shown = Vec::new();
    for id in ids {
        if !g.has('n') {
            shown.push(id.to_string());
            continue;
        }
        let name = if which == Some(&'u') {
            user::user_name(passwd, id)
        } else {
            user::group_name(group, id)
        };
        match name {
            Some(n) => shown.push(n.to_string()),
            // print_common: the number, and `unknown ID` with status 1.
            None => {
                shown.push(id.to_string());
                r.stderr.push_str(&format!("id: unknown ID {id}\n"));
                r.code = 1;
            }
        }
    }
    r.stdout = format!("{}\n", shown.join(" "));
    r
}

/// id's full line: `uid=0(root) gid=0(root) groups=0(root),10(wheel)`; a number without a
/// name is shown alone, and no `groups=` without groups.
fn full(who: &ExecUser, passwd: &str, group: &str) -> String {
    let named = |id: u32, name: Option<&str>| match name {
        Some(n) => format!("{id}({n})"),
        None => id.to_string(),
    };
    let mut line = format!(
        "uid={} gid={}",
        named(who.uid, user::user_name(passwd, who.uid)),
        named(who.gid, user::group_name(group, who.gid))
    );
    let groups: Vec<String> = who
        .groups
        .iter()
        .map(|&g| named(g, user::group_name(group, g)))
        .collect();
    if !groups.is_empty() {
        line.push_str(" groups=");
        line.push_str(&groups.join(","));
    }
    line
}

/// `whoami`: the user's name, or libbb's `unknown uid N` for a number the image does not
/// name.
pub fn whoami(sb: &Sandbox, args: &[&str]) -> ExecResult {
    if !args.is_empty() {
        return usage(
            "whoami",
            "\n\nPrint the user name associated with the current effective user id",
        );
    }
    let uid = sb.uid();
    match user::user_name(&sb.user_files().0, uid) {
        Some(n) => ExecResult::out(format!("{n}\n")),
        None => ExecResult::err(format!("whoami: unknown uid {uid}\n"), 1),
    }
}
