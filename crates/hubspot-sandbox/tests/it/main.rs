//! Integration tests of the sandbox over HTTP, in one binary so that they build and link once.

mod associations;
mod batch_writes;
mod common;
mod limits;
mod object_types;
mod objects;
mod owners;
mod pipelines;
mod properties;
mod property_validations;
mod schemas;
mod search;
