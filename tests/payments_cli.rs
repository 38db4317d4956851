//! The `payments` command: a NOVAPRIMA statement file is imported into a real store
//! file and exported back byte for byte; a file with a bad line changes nothing.

// Test helpers, outside #[test] functions, may stop the test on a failed setup.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use bcss_gateway::demo;
use bcss_gateway::store::RedbStore;
use bcss_gateway::store::Statements;

fn gateway(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bcss-gateway"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run bcss-gateway: {e}"))
}

/// A store file with the demo register, closed again so that the CLI can open it.
fn demo_store(dir: &Path) -> Vec<String> {
    let store = RedbStore::open_dir(dir).unwrap();
    let institutions: Vec<_> = demo::INSTITUTIONS
        .iter()
        .map(|(key, _)| (*key, None, None))
        .collect();
    let world = tempfile::tempdir().unwrap();
    demo::load(&store, world.path(), &institutions)
        .unwrap()
        .iter()
        .filter(|s| s.illustrates.contains("two PCSAs") || s.illustrates.contains("no right"))
        .map(|s| s.ssin.clone())
        .collect()
}

/// One statement line of CPAS de Liège (INS 62063), field by field.
fn line(month: &str, ssin: &str, name: &str, cents: u32, article: &str, pct: u32) -> String {
    let line = format!(
        "1{ins}{month}{file:<11}  {ssin}{reference:<12}1{month}01{month}28{article:<6}+{cents:08}B{name:<30}{first_name:<20}00{reference2:<15}+{paid:08}",
        ins = "62063",
        file = "D-0042",
        reference = "DOS-2025-1",
        first_name = "Marie",
        reference2 = "",
        paid = cents * pct / 100,
    );
    assert_eq!(line.chars().count(), 157, "{line}");
    line
}

/// `payments import` of `file` into the store of `dir`.
fn import(dir: &tempfile::TempDir, file: &Path) -> Output {
    gateway(&[
        "payments",
        "import",
        "--data-dir",
        &data_dir(dir),
        &file.display().to_string(),
    ])
}

/// `payments export` of CPAS 62063's statement for `month`, with `extra` arguments.
fn export(dir: &tempfile::TempDir, month: &str, extra: &[&str]) -> Output {
    let data = data_dir(dir);
    let mut args = vec![
        "payments",
        "export",
        "--data-dir",
        &data,
        "--ins",
        "62063",
        "--month",
        month,
    ];
    args.extend_from_slice(extra);
    gateway(&args)
}

fn data_dir(dir: &tempfile::TempDir) -> String {
    dir.path().join("data").display().to_string()
}

#[test]
fn a_statement_is_imported_and_exported_back_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let ssins = demo_store(&dir.path().join("data"));
    let text = [
        line("202502", &ssins[0], "Dupont", 131_420, "860", 60),
        line("202502", &ssins[1], "Lambert-Ćosić", 87_613, "116", 100),
        line("202503", &ssins[0], "Dupont", 131_420, "860", 60),
    ]
    .map(|l| l + "\n")
    .concat();
    let file = dir.path().join("statement.txt");
    std::fs::write(&file, &text).unwrap();

    let imported = import(&dir, &file);
    let stdout = String::from_utf8_lossy(&imported.stdout);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert!(stdout.contains("CPAS 62063 202502: 2 lines"), "{stdout}");
    assert!(
        stdout.contains("imported 3 lines in 2 statements"),
        "{stdout}"
    );

    let out = dir.path().join("export.txt");
    for month in ["202502", "2025-03"] {
        let export = export(&dir, month, &["--out", &out.display().to_string()]);
        assert!(
            export.status.success(),
            "{}",
            String::from_utf8_lossy(&export.stderr)
        );
        let expected: Vec<&str> = text
            .lines()
            .filter(|l| l[6..12] == month.replace('-', ""))
            .collect();
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            expected.join("\n") + "\n"
        );
    }

    // Importing the same file again replaces each statement: nothing doubles.
    let again = import(&dir, &file);
    assert!(String::from_utf8_lossy(&again.stdout).contains("2 lines (replacing 2)"));
    let store = RedbStore::open_dir(&dir.path().join("data")).unwrap();
    let ssin = bcss_gateway::domain::Ssin::parse(&ssins[0]).unwrap();
    assert_eq!(store.payments(&ssin).unwrap().len(), 2);
}

#[test]
fn a_refused_line_is_reported_with_its_number_and_field_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let ssins = demo_store(&dir.path().join("data"));
    let good = line("202502", &ssins[0], "Dupont", 131_420, "860", 60);
    let mut bad_ssin = line("202502", &ssins[1], "Lambert", 87_613, "116", 100);
    bad_ssin.replace_range(25..36, "85073100199");
    let mut bad_share = line("202502", &ssins[1], "Lambert", 87_613, "860", 100);
    bad_share.truncate(157);
    let text = format!("{good}\n{bad_ssin}\n{bad_share}\n{}\n", &good[..100]);
    let file = dir.path().join("bad.txt");
    std::fs::write(&file, text).unwrap();

    let imported = import(&dir, &file);
    assert!(!imported.status.success());
    let stderr = String::from_utf8_lossy(&imported.stderr);
    let name = file.display().to_string();
    assert!(
        stderr.contains(&format!("{name}:2: field NNISS (columns 26–36)")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{name}:3: field Montant payé (columns 150–157)")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{name}:4: line: has 100 characters")),
        "{stderr}"
    );
    assert!(
        stderr.contains("3 of 4 lines refused, nothing imported"),
        "{stderr}"
    );

    let export = export(&dir, "202502", &[]);
    assert!(!export.status.success());
    assert!(
        String::from_utf8_lossy(&export.stderr)
            .contains("no statement of CPAS 62063 for 2025-02 (it has none)"),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
}

#[test]
fn export_names_a_bad_month() {
    let dir = tempfile::tempdir().unwrap();
    let export = export(&dir, "2025-13", &[]);
    assert!(!export.status.success());
    assert!(
        String::from_utf8_lossy(&export.stderr).contains("--month: \"2025-13\" is not a month")
    );
}
