//! One test per file under `scenarios/`: adding a file adds a test. Each replays twice, and
//! the two replays must print the same bytes and move the same frames.

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::PathBuf;

fn main() {
    let args = Arguments::from_args();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let files = vnet::scenario::collect(std::slice::from_ref(&root));
    assert!(!files.is_empty(), "no scenarios under {}", root.display());
    let trials = files
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(&root)
                .unwrap_or(&path)
                .display()
                .to_string();
            Trial::test(name, move || {
                let r = vnet::scenario::run_file(&path, true);
                if r.pending.is_some() || r.passed() {
                    Ok(())
                } else {
                    Err(Failed::from(vnet::scenario::report::human(&[r], false)))
                }
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
