//! `KEY=VALUE` words as users type them (`-e`, `--label`, exec environments).

use crate::error::{Error, Result};

/// Splits a `KEY=VALUE` word (`-e`, `--label`) at its first `=`; `field` names the option in
/// the error.
///
/// ```
/// assert_eq!(docksandbox::parse_pair("A=b=c", "env").unwrap(), ("A".into(), "b=c".into()));
/// assert!(docksandbox::parse_pair("NOEQ", "env").is_err());
/// ```
pub fn parse_pair(pair: &str, field: &str) -> Result<(String, String)> {
    // An environment entry may be a secret passed without its name (`-e "$API_KEY"`): errors
    // echo only what looks like a variable name (`NOEQ`), never a longer or odder word.
    let name_like = pair.len() <= 24
        && pair.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && pair.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let shown = if field.contains("env") && !name_like {
        format!("an entry of {} bytes (not shown)", pair.len())
    } else {
        format!("`{}`", pair.escape_debug())
    };
    let (k, v) = pair
        .split_once('=')
        .ok_or_else(|| Error::invalid(field, format!("{shown} is not KEY=VALUE")))?;
    if k.is_empty() {
        return Err(Error::invalid(field, format!("{shown} has an empty name")));
    }
    Ok((k.to_string(), v.to_string()))
}
