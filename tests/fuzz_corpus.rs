//! Every committed fuzz input, through the check of its reader (`wire::invariants`):
//! an input that once made a reader panic, loop or break its promises stays fixed.
//! The corpus lives in `fuzz/corpus/<target>/`; `fuzz/` runs the same checks under
//! libFuzzer (README: Fuzzing).

use std::path::Path;

use bcss_gateway::wire::invariants::TARGETS;

#[test]
fn every_reader_keeps_its_promises_on_the_committed_corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut failures = Vec::new();
    let mut inputs = 0;
    for (name, check) in TARGETS {
        let dir = corpus.join(name);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("no corpus for the target {name} ({}): {e}", dir.display()));
        let mut files: Vec<_> = entries
            .map(|e| e.unwrap_or_else(|e| panic!("{e}")).path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "the corpus of {name} is empty");
        for file in files {
            let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            inputs += 1;
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                failures.push(file.display().to_string());
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {inputs} inputs broke their reader's promises: {failures:#?}",
        failures.len()
    );
    eprintln!("{inputs} inputs of {} targets checked", TARGETS.len());
}
