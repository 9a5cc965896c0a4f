//! The py binding of docksandbox: filled by its own issue.
