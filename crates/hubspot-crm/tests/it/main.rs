//! Integration tests of the ergonomic client against httpmock, a scripted server and the
//! sandbox, in one binary so that they build once.

mod associations_api;
mod associations_labels;
mod bulk_by_id;
mod bulk_concurrency;
mod bulk_create;
mod bulk_refusals;
mod decoders;
mod hardening_input;
mod hardening_reads;
mod hardening_transport;
mod leads_create;
mod leads_definitions;
mod leads_errors;
mod leads_read;
mod leads_write;
mod limit_window;
mod long_lists;
mod oauth_refresh;
mod properties_definitions;
mod retry_connect;
mod retry_statuses;
mod schemas;
mod smoke;
mod stream_list;
mod stream_prefetch;
mod stream_search;
mod support;
mod sync;
mod tracing_spans;
mod versions;
mod webhooks;
