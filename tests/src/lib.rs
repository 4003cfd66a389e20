//! End-to-end tests of the `hubspot-crm` client against the `hubspot-sandbox` server; the
//! tests live in `tests/it/` (one binary) and `tests/shared_limits.rs` (the Redis-backed
//! throughput tests, in a binary of their own).
