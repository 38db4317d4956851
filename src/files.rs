//! Writing files, some of which hold secrets (private keys, passwords): those are
//! created readable by their owner only.

use std::io::Write;
use std::path::Path;

/// Writes `text` to `path` whole or not at all: it goes to a file beside it, then is
/// renamed over it, so a reader (a tester's script reading `demo.json` while the
/// gateway starts) sees the old content or the new, never a part.
pub fn write(path: &Path, text: &str, secret: bool) -> std::io::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let beside = path.with_file_name(name);
    // A leftover of an interrupted write would keep its permissions.
    let _ = std::fs::remove_file(&beside);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(&beside)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&beside, path)
}
