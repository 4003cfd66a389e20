//! How a call finds its generated module: each API family (objects, properties, associations,
//! association labels, schemas) has one generated module per [`ApiVersion`], and [`Client::start`]
//! builds the one of the client's version as a [`Versioned`] value. Handles then write each
//! operation once with [`on_version!`], checked against every version's module; where the
//! versions really behave differently, they `match` on [`Versioned`] instead.
//!
//! A new dated version is one variant of [`Versioned`] (and of [`ApiVersion`]), one associated
//! type and constructor in [`Family`], one column of the `families!` table below, and one arm
//! of [`on_version!`] and [`Client::start`]; the compiler then names every `match` to fill in.
//! A new family is one line of that table.

use std::sync::Arc;

use hubspot_crm_api::Hooks;

use crate::client::Client;
use crate::error::Result;
use crate::transport::Call;
use crate::version::ApiVersion;

/// A generated module's constructor (its `Client::new_with_client`).
pub(crate) type NewClient<C> = fn(&str, reqwest::Client, Hooks) -> C;

/// An API family: the generated module that serves it on each API version.
pub(crate) trait Family {
    /// The module of `v3` (HubSpot's legacy line, v3 and v4 paths).
    type V3;
    /// The module of `2026-09`.
    type V2026_09;
    /// Builds the `v3` module's client.
    const V3: NewClient<Self::V3>;
    /// Builds the `2026-09` module's client.
    const V2026_09: NewClient<Self::V2026_09>;
}

/// The generated client of family `F` for the client's [`ApiVersion`]: one variant per
/// version, each holding that version's module.
pub(crate) enum Versioned<F: Family> {
    /// `v3` (legacy paths).
    V3(F::V3),
    /// `2026-09` (dated paths).
    V2026_09(F::V2026_09),
}

/// Runs `$body` with `$api` bound to the [`Versioned`] client, whatever its version. The body
/// is written once and checked against each version's module: they take the same (shared)
/// request types, and their answers agree in the fields the body reads.
macro_rules! on_version {
    ($api:expr, |$client:ident| $body:expr) => {
        match $api {
            crate::route::Versioned::V3($client) => $body,
            crate::route::Versioned::V2026_09($client) => $body,
        }
    };
}
pub(crate) use on_version;

impl Client {
    /// Starts one call ([`Self::start_call`]) through family `F`'s module of the client's
    /// version.
    pub(crate) async fn start<F: Family>(&self) -> Result<(Arc<Call>, Versioned<F>)> {
        Ok(match self.api_version() {
            ApiVersion::V3 => {
                let (call, api) = self.start_call(F::V3).await?;
                (call, Versioned::V3(api))
            }
            ApiVersion::V2026_09 => {
                let (call, api) = self.start_call(F::V2026_09).await?;
                (call, Versioned::V2026_09(api))
            }
        })
    }
}

/// Declares the families: a name, then its generated module on each version, in the order
/// of [`Versioned`]'s variants.
macro_rules! families {
    ($($(#[$meta:meta])* $family:ident => $v3:ident, $v2026_09:ident;)*) => {
        $(
            $(#[$meta])*
            pub(crate) struct $family;

            impl Family for $family {
                type V3 = hubspot_crm_api::$v3::Client;
                type V2026_09 = hubspot_crm_api::$v2026_09::Client;
                const V3: NewClient<Self::V3> = hubspot_crm_api::$v3::Client::new_with_client;
                const V2026_09: NewClient<Self::V2026_09> =
                    hubspot_crm_api::$v2026_09::Client::new_with_client;
            }
        )*
    };
}

/// The API families, one line each.
pub(crate) mod family {
    use super::{Family, NewClient};

    families! {
        /// Records of any object type, the type in the path (leads included: v3's leads paths
        /// are the generic ones).
        Objects => objects, objects_2026_09;
        /// Property definitions.
        Properties => properties, properties_2026_09;
        /// Associations between records (v4 on the legacy line).
        Associations => associations, associations_2026_09;
        /// Association types and labels between two object types.
        AssociationLabels => association_labels, association_labels_2026_09;
        /// The account's property validation rules.
        PropertyValidations => property_validations, property_validations_2026_09;
        /// Pipelines and their stages, of any object type.
        Pipelines => pipelines, pipelines_2026_09;
        /// The users and queues records can be assigned to.
        Owners => owners, owners_2026_09;
        /// Custom object schemas and their association definitions.
        Schemas => schemas, schemas_2026_09;
    }
}
