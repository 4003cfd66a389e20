//! End-to-end tests of the `hubspot-crm` client against the `hubspot-sandbox` server; the
//! tests live in `tests/`.
