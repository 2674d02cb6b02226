//! The scenario file format: serde types for the YAML, read with serde-saphyr, so a broken
//! file is reported at `file:line:column` before anything runs.
//!
//! `docs/scenarios.md` describes the format and `docs/scenario.schema.json` is its JSON Schema
//! for editors; the types here are the same schema, enforced when a file is read. A step is a
//! map with exactly one action key beside its `expect`: [`Step`] reads it into an [`Action`]
//! by hand (not `#[serde(untagged)]`), so a step with two actions or none, or an unknown key,
//! gets a message that names the keys a step takes.

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;
use std::path::Path;

/// A scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A short title.
    pub name: String,
    /// What it shows.
    #[serde(default)]
    pub description: String,
    /// The seed (IDs, MACs, jitter); 0 when absent.
    #[serde(default)]
    pub seed: u64,
    /// Why the file cannot run yet (a feature it needs is missing): reported, not run.
    #[serde(default)]
    pub pending: Option<String>,
    /// Engine options.
    #[serde(default)]
    pub options: Options,
    /// The steps, in order.
    pub steps: Vec<Spanned<Step>>,
}

/// Engine options of a scenario.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// `registration` (default) or `shuffle`: the order of a shared name's addresses.
    #[serde(default)]
    pub dns_order: Option<String>,
}

/// One step: an action and what it must show.
#[derive(Debug)]
pub struct Step {
    /// What the step does.
    pub action: Action,
    /// What the step must show (`expect:`). Left out, it is empty: a command must exit 0.
    pub expect: Expect,
}

/// The action of a step: exactly one of these keys.
#[derive(Debug)]
pub enum Action {
    /// `run:`: a command line as typed, `docker ...` or `vnet ...`.
    Run(RunStep),
    /// `exec:`: a command inside a container.
    Exec(ExecStep),
    /// `attach:`: lines typed into a container's attached shell.
    Attach(AttachStep),
    /// `advance:`: let virtual time pass (`5s`, `300ms`).
    Advance(String),
    /// `link:`: loss, delay, jitter on a network's links.
    Link(LinkStep),
    /// `reach:`: shorthand: does `from` get a ping reply from `to`?
    Reach(Reach),
    /// `resolves:`: shorthand: what does `name` resolve to for `from` (`to: null`: nothing)?
    Resolves(Resolves),
}

impl Action {
    /// Whether the action is a command, which must exit 0 unless `expect` says otherwise.
    pub fn is_command(&self) -> bool {
        matches!(self, Action::Run(_) | Action::Exec(_) | Action::Attach(_))
    }
}

/// `run:` with its step's `input:`.
#[derive(Debug)]
pub struct RunStep {
    /// The command line.
    pub line: String,
    /// Lines answering the command's prompts (`input:` beside `run:`).
    pub input: Vec<String>,
}

/// `exec:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecStep {
    /// The host it runs on (`-H`); `default` when absent.
    #[serde(default)]
    pub host: Option<String>,
    /// The container.
    pub container: String,
    /// The command line inside it.
    pub command: String,
}

/// `attach:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachStep {
    /// The host it runs on (`-H`); `default` when absent.
    #[serde(default)]
    pub host: Option<String>,
    /// The container.
    pub container: String,
    /// Lines typed at its prompt.
    pub input: Vec<String>,
}

/// `link:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkStep {
    /// The host it runs on (`-H`); `default` when absent.
    #[serde(default)]
    pub host: Option<String>,
    /// The network.
    pub network: String,
    /// Lost share, `10%`.
    #[serde(default)]
    pub loss: Option<String>,
    /// Extra delay, `5ms`.
    #[serde(default)]
    pub delay: Option<String>,
    /// Extra random delay, `1ms`.
    #[serde(default)]
    pub jitter: Option<String>,
}

/// `reach:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reach {
    /// The host it runs on (`-H`); `default` when absent.
    #[serde(default)]
    pub host: Option<String>,
    /// The container that pings.
    pub from: String,
    /// An address or name.
    pub to: String,
    /// Whether a reply must come back.
    pub ok: bool,
}

/// `resolves:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resolves {
    /// The host it runs on (`-H`); `default` when absent.
    #[serde(default)]
    pub host: Option<String>,
    /// The container that asks.
    pub from: String,
    /// The name.
    pub name: String,
    /// The address it must resolve to; null when it must not resolve.
    pub to: Option<String>,
}

/// `expect:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The exit status.
    #[serde(default)]
    pub exit: Option<i32>,
    /// Standard output.
    #[serde(default)]
    pub stdout: Option<Text>,
    /// Standard error.
    #[serde(default)]
    pub stderr: Option<Text>,
    /// Checks on standard output read as JSON.
    #[serde(default)]
    pub json: Vec<JsonCheck>,
}

/// A text expectation: a string (equals), or a map.
#[derive(Debug)]
pub enum Text {
    /// The whole text.
    Equals(String),
    /// Detailed.
    Match(TextMatch),
}

/// `{equals, contains, not_contains, regex}`; `contains` and `not_contains` may be lists.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextMatch {
    /// The whole text.
    #[serde(default)]
    pub equals: Option<String>,
    /// Substrings that must appear.
    #[serde(default)]
    pub contains: Option<OneOrMany>,
    /// Substrings that must not appear.
    #[serde(default)]
    pub not_contains: Option<OneOrMany>,
    /// A regular expression that must match.
    #[serde(default)]
    pub regex: Option<String>,
}

/// One string or a list.
#[derive(Debug)]
pub enum OneOrMany {
    /// One.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The strings, one or several.
    pub fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(|s| s.as_str()).collect(),
        }
    }
}

/// `{path, equals}`: a value in the JSON output (`[0].IPAM.Config[0].Subnet`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonCheck {
    /// Where: `.Key`, `[index]`, chained; `Key` alone for the first level.
    pub path: String,
    /// The value there.
    pub equals: serde_json::Value,
}

/// Parses a scenario; errors are `file:line:column: message`.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, String> {
    serde_saphyr::from_str::<Scenario>(text).map_err(|e| {
        let msg = e.to_string();
        let mut msg = msg.lines().next().unwrap_or_default();
        // serde-saphyr says where too; the position goes in front, once.
        msg = msg.strip_prefix("error: ").unwrap_or(msg);
        if let Some(rest) = msg.strip_prefix("line ")
            && let Some((_, after)) = rest.split_once(": ")
        {
            msg = after;
        }
        let msg = msg.to_string();
        match e.location() {
            Some(l) => format!("{}:{}:{}: {msg}", path.display(), l.line(), l.column()),
            None => format!("{}: {msg}", path.display()),
        }
    })
}

/// The keys a step takes, in the order messages list them.
const STEP_KEYS: &[&str] = &[
    "run", "input", "exec", "attach", "advance", "link", "reach", "resolves", "expect",
];

/// The keys that are actions.
const ACTIONS: &str = "run, exec, attach, advance, link, reach, resolves";

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct("Step", STEP_KEYS, StepVisitor)
    }
}

struct StepVisitor;

/// Reads one key's value into its slot; a key given twice is an error.
fn slot<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    key: &'static str,
    slot: &mut Option<Option<T>>,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(key));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de> Visitor<'de> for StepVisitor {
    type Value = Step;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a step: a map with one of {ACTIONS}, and expect")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Step, A::Error> {
        // Each key as an option, so `run: null` counts as no action, as a missing key would.
        let mut run: Option<Option<String>> = None;
        let mut input: Option<Option<Vec<String>>> = None;
        let mut exec: Option<Option<ExecStep>> = None;
        let mut attach: Option<Option<AttachStep>> = None;
        let mut advance: Option<Option<String>> = None;
        let mut link: Option<Option<LinkStep>> = None;
        let mut reach: Option<Option<Reach>> = None;
        let mut resolves: Option<Option<Resolves>> = None;
        let mut expect: Option<Option<Expect>> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "run" => slot(&mut map, "run", &mut run)?,
                "input" => slot(&mut map, "input", &mut input)?,
                "exec" => slot(&mut map, "exec", &mut exec)?,
                "attach" => slot(&mut map, "attach", &mut attach)?,
                "advance" => slot(&mut map, "advance", &mut advance)?,
                "link" => slot(&mut map, "link", &mut link)?,
                "reach" => slot(&mut map, "reach", &mut reach)?,
                "resolves" => slot(&mut map, "resolves", &mut resolves)?,
                "expect" => slot(&mut map, "expect", &mut expect)?,
                other => return Err(de::Error::unknown_field(other, STEP_KEYS)),
            }
        }
        let input = input.flatten();
        let mut actions = Vec::new();
        let mut named = Vec::new();
        let mut found = |name: &'static str, a: Option<Action>| {
            if let Some(a) = a {
                named.push(name);
                actions.push(a);
            }
        };
        found(
            "run",
            run.flatten().map(|line| {
                Action::Run(RunStep {
                    line,
                    input: Vec::new(),
                })
            }),
        );
        found("exec", exec.flatten().map(Action::Exec));
        found("attach", attach.flatten().map(Action::Attach));
        found("advance", advance.flatten().map(Action::Advance));
        found("link", link.flatten().map(Action::Link));
        found("reach", reach.flatten().map(Action::Reach));
        found("resolves", resolves.flatten().map(Action::Resolves));
        let mut action = match (actions.pop(), actions.is_empty()) {
            (Some(a), true) => a,
            (None, _) => {
                return Err(de::Error::custom(format!(
                    "a step needs exactly one of {ACTIONS}; this one has none"
                )));
            }
            (Some(_), false) => {
                return Err(de::Error::custom(format!(
                    "a step needs exactly one of {ACTIONS}; this one has {}: {}",
                    named.len(),
                    named.join(", ")
                )));
            }
        };
        match (&mut action, input) {
            (Action::Run(r), Some(input)) => r.input = input,
            (_, None) => {}
            (_, Some(_)) => {
                return Err(de::Error::custom(format!(
                    "input answers the prompts of a run command; this step has {} (attach takes its own input)",
                    named.first().copied().unwrap_or_default()
                )));
            }
        }
        Ok(Step {
            action,
            expect: expect.flatten().unwrap_or_default(),
        })
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "the whole text (a string), or a map of equals, contains, not_contains, regex",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text::Equals(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text, A::Error> {
                TextMatch::deserialize(MapAccessDeserializer::new(map)).map(Text::Match)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut v = Vec::new();
                while let Some(Str(s)) = seq.next_element()? {
                    v.push(s);
                }
                Ok(OneOrMany::Many(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// A string written as one: a plain `1` or `true` in a list of strings is an error, as it is
/// where a whole text is expected.
struct Str(String);

impl<'de> Deserialize<'de> for Str {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Str;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str, E> {
                Ok(Str(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}
