//! Cross-crate integration tests: see the files under `tests/tests/`.
