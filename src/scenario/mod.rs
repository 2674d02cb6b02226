//! Scenarios: YAML files of the commands a person types and what each must show, replayed
//! in one in-process simulation per file.
//!
//! A scenario goes through the same command layer as the `vnet` binary ([`cli::run_line`]),
//! on a fresh [`Cluster`](crate::cluster::Cluster) with the file's seed and no state
//! directory, so replaying it is fast and changes nothing on disk. The schema is documented in
//! `docs/scenarios.md` (and `docs/scenario.schema.json` for editors); YAML comments are the
//! teaching text.
//!
//! - [`schema`]: the file format (serde types), read with positions for errors.
//! - [`run`]: replaying steps and files, in parallel.
//! - [`expect`]: checking what a step showed.
//! - [`report`]: the text, JUnit and JSON reports.
//!
//! The front end ([`main`]) takes no decision about the terminal: the binary says whether to
//! colour and draws the progress bar from the callback.

pub mod expect;
pub mod report;
pub mod run;
pub mod schema;

pub use expect::json_at;
pub use report::{FileReport, StepReport};
pub use run::{collect, replay, run_file, run_files, split_words};
pub use schema::{
    Action, AttachStep, ExecStep, Expect, JsonCheck, LinkStep, OneOrMany, Options, Reach, Resolves,
    RunStep, Scenario, Step, Text, TextMatch, parse,
};

use crate::cli::{self, Outcome};

/// `vnet scenario run`: replays the files (in parallel with `--jobs`), prints the report
/// (in colour when `colour`), writes JUnit if asked; status 1 if anything failed.
/// `progress(done, total)` is called as each file finishes, from the thread that ran it.
pub fn main(
    args: &cli::ScenarioArgs,
    colour: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Outcome {
    let mut o = Outcome::default();
    if args.paths.is_empty() {
        o.stderr = "vnet: 'vnet scenario run' requires at least 1 argument\n\nUsage:  vnet scenario run [OPTIONS] FILE|DIR [FILE|DIR...]\n\nSee 'vnet scenario run --help' for more information\n".into();
        o.code = 1;
        return o;
    }
    let files = collect(&args.paths);
    if files.is_empty() {
        o.stderr = "vnet: no scenario files (.yaml) found\n".into();
        o.code = 1;
        return o;
    }
    let reports = run_files(&files, args.jobs, args.check_determinism, progress);
    if args.json {
        // Plain data (strings, numbers, maps with string keys): serialising cannot fail.
        #[allow(clippy::expect_used)]
        let json = serde_json::to_string_pretty(&reports).expect("reports serialise");
        o.stdout = json + "\n";
    } else {
        o.stdout = report::human(&reports, colour);
    }
    if let Some(path) = &args.junit
        && let Err(e) = std::fs::write(path, report::junit(&reports))
    {
        o.stderr
            .push_str(&format!("vnet: cannot write {}: {e}\n", path.display()));
        o.code = 1;
    }
    if reports.iter().any(|r| !r.passed()) {
        o.code = 1;
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse_err(text: &str) -> String {
        parse(Path::new("x.yaml"), text).unwrap_err()
    }

    #[test]
    fn parse_errors_have_positions() {
        let e = parse_err("name: n\nsteps:\n  - run: docker ps\n    bogus: 1\n");
        assert!(e.starts_with("x.yaml:4:"), "{e}");
        assert!(e.contains("bogus"), "{e}");
    }

    #[test]
    fn a_step_has_exactly_one_action() {
        let e =
            parse_err("name: n\nsteps:\n  - run: docker ps\n  - run: docker ps\n    advance: 1s\n");
        assert!(
            e.starts_with("x.yaml:4:")
                && e.ends_with("a step needs exactly one of run, exec, attach, advance, link, reach, resolves; this one has 2: run, advance"),
            "{e}"
        );
        let e = parse_err("name: n\nsteps:\n  - expect: {exit: 0}\n");
        assert!(
            e.starts_with("x.yaml:3:") && e.ends_with("; this one has none"),
            "{e}"
        );
        let e =
            parse_err("name: n\nsteps:\n  - exec: {container: c, command: ls}\n    input: [y]\n");
        assert!(
            e.starts_with("x.yaml:3:") && e.contains("input answers the prompts of a run command"),
            "{e}"
        );
    }

    #[test]
    fn steps_read_into_actions() {
        let sc = parse(
            Path::new("x.yaml"),
            "name: n\nsteps:\n  - run: docker ps\n    input: [y]\n    expect: {stdout: {contains: a}}\n  - advance: 5s\n",
        )
        .unwrap();
        match &sc.steps[0].value.action {
            Action::Run(r) => assert_eq!(
                (r.line.as_str(), r.input.as_slice()),
                ("docker ps", &["y".to_string()][..])
            ),
            a => panic!("{a:?}"),
        }
        assert!(
            matches!(&sc.steps[0].value.expect.stdout, Some(Text::Match(m)) if m.contains.as_ref().unwrap().items() == ["a"])
        );
        assert!(matches!(&sc.steps[1].value.action, Action::Advance(t) if t == "5s"));
    }
}
