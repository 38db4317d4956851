//! The admin API's bearer token: made at the first start, kept in the data directory
//! for its owner only, the same at every start after.

use std::path::Path;

use crate::tls;

pub const TOKEN_FILE: &str = "admin.token";

/// Reads the token of `<data_dir>/admin.token`, writing a new one (256 random bits,
/// hex) when there is none. File I/O: call it off the async workers.
pub fn load_or_create(data_dir: &Path) -> std::io::Result<String> {
    let path = data_dir.join(TOKEN_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => return Ok(text.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut bytes = [0u8; 32];
    tls::provider()
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| std::io::Error::other("no secure random numbers for the admin token"))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    crate::files::write(&path, &format!("{token}\n"), true)?;
    Ok(token)
}
