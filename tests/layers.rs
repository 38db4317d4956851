//! The layers of ARCHITECTURE.md, enforced: every `crate::…` path in `src/` must point
//! to the module itself or to a layer below it. A new upward import fails here, naming
//! the file, the line and the module it reached for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module and what it may use besides itself. Reading down the list,
/// each module may use only modules listed before it, so there is no circle.
const LAYERS: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("files", &[]),
    ("metrics", &[]),
    ("clock", &["domain"]),
    ("tls", &["domain"]),
    ("store", &["domain", "files"]),
    ("wire", &["domain"]),
    ("services", &["domain", "store", "wire", "clock"]),
    (
        "notify",
        &[
            "domain", "store", "wire", "clock", "tls", "services", "metrics",
        ],
    ),
    (
        "server",
        &[
            "domain", "store", "wire", "clock", "tls", "services", "files", "metrics",
        ],
    ),
    ("certs", &["domain", "files", "tls"]),
    ("control", &[]),
    (
        "world",
        &[
            "domain", "store", "tls", "server", "files", "services", "wire", "clock",
        ],
    ),
    (
        "admin",
        &[
            "domain", "store", "clock", "tls", "services", "server", "world", "files", "control",
            "metrics",
        ],
    ),
    (
        "app",
        &[
            "domain", "store", "clock", "tls", "notify", "server", "admin",
        ],
    ),
    (
        "demo",
        &[
            "domain", "store", "wire", "clock", "server", "certs", "files", "world",
        ],
    ),
    (
        "cli",
        &[
            "domain", "store", "wire", "clock", "tls", "services", "notify", "server", "certs",
            "control", "app", "demo", "files", "world", "admin",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap_or(file);
    let first = relative
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    first.trim_end_matches(".rs").to_owned()
}

/// The modules named by `crate::NAME` in one line of code (comments left out).
fn crate_paths(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() && after.starts_with('{') {
            // `crate::{a, b::c}`: each group member names a module.
            let group = after[1..].split('}').next().unwrap_or("");
            for member in group.split(',') {
                let head: String = member
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !head.is_empty() {
                    found.push(head);
                }
            }
        } else if !name.is_empty() {
            found.push(name);
        }
        rest = after;
    }
    found
}

#[test]
fn every_import_points_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut upward = Vec::new();
    let mut seen_modules = std::collections::BTreeSet::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "lib" || module == "main" {
            continue;
        }
        seen_modules.insert(module.clone());
        let Some(may_use) = allowed.get(module.as_str()) else {
            upward.push(format!(
                "{}: module {module} has no place in the layers of tests/layers.rs",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{e}"));
        for (n, line) in text.lines().enumerate() {
            for used in crate_paths(line) {
                if used != module && !may_use.contains(&used.as_str()) {
                    upward.push(format!(
                        "{}:{}: {module} uses crate::{used}, which is not below it",
                        file.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports against the layers:\n{}",
        upward.join("\n")
    );
    // Every module of the table still exists, so the table cannot silently rot.
    for (module, _) in LAYERS {
        assert!(
            seen_modules.contains(*module),
            "{module} is in the layers but not in src/"
        );
    }
}

#[test]
fn the_layers_have_no_circle() {
    for (i, (module, uses)) in LAYERS.iter().enumerate() {
        for used in *uses {
            let below = LAYERS[..i].iter().any(|(m, _)| m == used);
            assert!(below, "{module} uses {used}, which is not listed before it");
        }
    }
}

#[test]
fn the_scanner_finds_grouped_and_plain_paths() {
    assert_eq!(crate_paths("use crate::store::Store;"), ["store"]);
    assert_eq!(
        crate_paths("use crate::{domain::Date, wire};"),
        ["domain", "wire"]
    );
    assert_eq!(
        crate_paths("let x = crate::clock::now(); // crate::server"),
        ["clock"]
    );
    assert!(crate_paths("// use crate::notify").is_empty());
}
