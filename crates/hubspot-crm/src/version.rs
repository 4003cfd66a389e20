//! Which of HubSpot's API lines requests go to.

use std::fmt;
use std::str::FromStr;

use crate::error::ValidationError;

/// The HubSpot API version a [`Client`](crate::Client) speaks. Every operation of this crate
/// works on each; the choice changes the paths requests go to, not the types you handle.
///
/// HubSpot versions its APIs by date: a version is GA each March and September, Current for
/// six months and Supported for eighteen. The `v3`/`v4` paths are the legacy line that
/// HubSpot's leads guide documents.
///
/// ```
/// use hubspot_crm::ApiVersion;
///
/// let version: ApiVersion = "2026-09".parse()?;
/// assert_eq!(version, ApiVersion::V2026_09);
/// assert_eq!(version.to_string(), "2026-09");
/// assert_eq!(ApiVersion::default(), ApiVersion::V3);
/// # Ok::<(), hubspot_crm::ValidationError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ApiVersion {
    /// The legacy line: `/crm/v3/objects`, `/crm/v4/associations`, `/crm/v3/properties`
    /// (leads through `/crm/v3/objects/leads`). The default.
    #[default]
    V3,
    /// The dated 2026-09 version: `/crm/objects/2026-09/{objectType}` for every object type,
    /// `/crm/associations/2026-09`, `/crm/properties/2026-09`. HubSpot applies an account's
    /// validation rules to writes here.
    V2026_09,
}

impl ApiVersion {
    /// Every version, oldest first.
    pub const ALL: &'static [ApiVersion] = &[ApiVersion::V3, ApiVersion::V2026_09];

    /// The version `HUBSPOT_API_VERSION` names; the default when it is unset or blank.
    pub fn from_env() -> Result<Self, ValidationError> {
        Self::from_env_value(std::env::var("HUBSPOT_API_VERSION").ok().as_deref())
    }

    fn from_env_value(value: Option<&str>) -> Result<Self, ValidationError> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(ApiVersion::default()),
            Some(text) => text.parse().map_err(|e: ValidationError| {
                ValidationError::new("HUBSPOT_API_VERSION", e.reason)
            }),
        }
    }

    /// The name used in `HUBSPOT_API_VERSION`: `v3` or the date, e.g. `2026-09`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V3 => "v3",
            ApiVersion::V2026_09 => "2026-09",
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ApiVersion {
    type Err = ValidationError;

    /// `v3` (also `v4`, `legacy`), or a date version such as `2026-09`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "v3" | "v4" | "legacy" => Ok(ApiVersion::V3),
            "2026-09" => Ok(ApiVersion::V2026_09),
            other => Err(ValidationError::new(
                "api_version",
                format!(
                    "`{other}` is not a version this client speaks (one of: {})",
                    ApiVersion::ALL
                        .iter()
                        .map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_from_their_names_and_nothing_else() {
        for &version in ApiVersion::ALL {
            assert_eq!(version.as_str().parse::<ApiVersion>().unwrap(), version);
        }
        assert_eq!(" V4 ".parse::<ApiVersion>().unwrap(), ApiVersion::V3);
        let error = "2026-03".parse::<ApiVersion>().unwrap_err();
        assert_eq!(error.field, "api_version");
        assert!(error.reason.contains("v3, 2026-09"), "{error}");
    }

    #[test]
    fn the_environment_names_a_version_or_leaves_the_default() {
        assert_eq!(ApiVersion::from_env_value(None).unwrap(), ApiVersion::V3);
        assert_eq!(
            ApiVersion::from_env_value(Some("  ")).unwrap(),
            ApiVersion::V3
        );
        assert_eq!(
            ApiVersion::from_env_value(Some("2026-09")).unwrap(),
            ApiVersion::V2026_09
        );
        let error = ApiVersion::from_env_value(Some("2027-03")).unwrap_err();
        assert_eq!(error.field, "HUBSPOT_API_VERSION");
        assert!(error.reason.contains("2027-03"), "{error}");
    }
}
