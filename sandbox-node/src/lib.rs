//! The node binding of docksandbox: filled by its own issue.
