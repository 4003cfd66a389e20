//! End-to-end tests of the `hubspot-crm` client against the `hubspot-sandbox` server, in one
//! binary so that they build and link once.
//!
//! The convention of the workspace: one integration-test binary per crate, `tests/it/`, its
//! helpers in a module of it; the tests that start a system service and measure throughput run
//! in a binary of their own. Here that is `tests/shared_limits.rs`: it starts `redis-server`
//! and asserts that four clients reach at least 0.95 of a window's ceiling, which the load of
//! these tests on the same cores would push below. Cargo runs test binaries one after another,
//! so a binary of its own runs it alone with no lock every other test would have to take
//! (libtest has no way to run some tests of a binary alone); it shares [`common`] by path.

mod account_checks;
mod account_properties;
mod api_versions;
mod batch;
mod common;
mod custom_objects;
mod custom_schemas;
mod faults;
mod lead_lifecycle;
mod lead_rules;
mod long_property_lists;
mod pipelines_owners;
mod properties;
mod property_validations;
mod refused_batches;
mod streams;
mod sync;
mod typed_records;
