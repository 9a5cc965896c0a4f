//! A command line as a shell would show it, for messages (timeouts, interrupted commands).

/// Joins `cmd` into one line, quoting each word a shell would split or interpret.
pub(crate) fn shell_words(cmd: &[String]) -> String {
    cmd.iter()
        .map(|a| {
            if !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::shell_words;

    #[test]
    fn plain_words_stay_and_others_are_quoted() {
        let cmd = ["echo", "a b", "it's", "", "x=1"].map(String::from);
        assert_eq!(shell_words(&cmd), r#"echo 'a b' 'it'\''s' '' x=1"#);
    }
}
