//! Property values checked against their definitions, as HubSpot checks writes.
//!
//! Each refusal carries the error code HubSpot puts in its `Property values were not valid`
//! message. `INVALID_OPTION`, `INVALID_EMAIL` (hubspot-facts.md, "Batch writes as HubSpot
//! answers them") and `INVALID_LONG` (integrators quote "... was not a valid long." for
//! datetime properties) are HubSpot's; `INVALID_DECIMAL`, `INVALID_DATE` and
//! `INVALID_BOOLEAN` are sandbox picks in HubSpot's naming, for checks whose code no source
//! gives.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::schema::PropDef;

/// Why a value was refused: HubSpot's message and error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub message: String,
    pub code: &'static str,
}

impl Refusal {
    fn new(message: String, code: &'static str) -> Self {
        Refusal { message, code }
    }
}

const MS_PER_DAY: i64 = 86_400_000;

/// Top-level domains reserved never to resolve (RFC 2606, RFC 6761): HubSpot refuses
/// addresses there (the facts' example is `x@y.invalid`).
const RESERVED_TLDS: &[&str] = &["invalid", "test", "example", "localhost"];

/// Checks a value for a writable property. The empty string clears a property and is
/// always accepted.
pub(crate) fn check(def: &PropDef, value: &str) -> Result<(), Refusal> {
    if value.is_empty() {
        return Ok(());
    }
    if def.email && !is_email(value) {
        return Err(Refusal::new(
            format!("Email address {value} is invalid"),
            "INVALID_EMAIL",
        ));
    }
    match def.ptype {
        "enumeration" if def.checks_options() => check_options(def, value),
        "number" if !is_decimal(value) => Err(Refusal::new(
            format!("{value} was not a valid number."),
            "INVALID_DECIMAL",
        )),
        "date" => check_date(value),
        "datetime" if !is_datetime(value) => Err(Refusal::new(
            format!("{value} was not a valid long."),
            "INVALID_LONG",
        )),
        "bool" if !value.eq_ignore_ascii_case("true") && !value.eq_ignore_ascii_case("false") => {
            Err(Refusal::new(
                format!("{value} was not a valid boolean: use true or false."),
                "INVALID_BOOLEAN",
            ))
        }
        _ => Ok(()),
    }
}

/// One of the options; a multi-select (`checkbox`) takes several, `;`-separated.
fn check_options(def: &PropDef, value: &str) -> Result<(), Refusal> {
    let parts: Vec<&str> = if def.field_type == "checkbox" {
        value.split(';').collect()
    } else {
        vec![value]
    };
    match parts
        .iter()
        .find(|v| !def.options.iter().any(|o| o.value == **v))
    {
        None => Ok(()),
        Some(wrong) => {
            let allowed: Vec<&str> = def.options.iter().map(|o| o.value.as_str()).collect();
            Err(Refusal::new(
                format!(
                    "{wrong} was not one of the allowed options: [{}]",
                    allowed.join(", ")
                ),
                "INVALID_OPTION",
            ))
        }
    }
}

/// A decimal number: digits with an optional sign, fraction and exponent (no `NaN`, no
/// thousands separators).
pub(crate) fn is_decimal(value: &str) -> bool {
    let v = value.trim();
    let unsigned = v.strip_prefix(['-', '+']).unwrap_or(v);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['-', '+']).unwrap_or(e))),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !(whole.is_empty() && fraction.is_empty())
        && digits(whole)
        && digits(fraction)
        && exponent.is_none_or(|e| !e.is_empty() && digits(e))
}

/// Epoch milliseconds, if the value is an integer.
fn epoch_ms(value: &str) -> Option<i64> {
    value.trim().parse::<i64>().ok()
}

/// A date: `YYYY-MM-DD`, or an instant (epoch milliseconds or ISO 8601) at midnight UTC.
fn check_date(value: &str) -> Result<(), Refusal> {
    let v = value.trim();
    if NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok() {
        return Ok(());
    }
    let ms = epoch_ms(v).or_else(|| {
        DateTime::parse_from_rfc3339(v)
            .ok()
            .map(|t| t.timestamp_millis())
    });
    match ms {
        Some(ms) if ms.rem_euclid(MS_PER_DAY) == 0 => Ok(()),
        Some(_) => Err(Refusal::new(
            format!(
                "{value} is not at midnight UTC: a date property takes YYYY-MM-DD or epoch milliseconds at midnight UTC."
            ),
            "INVALID_DATE",
        )),
        None => Err(Refusal::new(
            format!(
                "{value} is not a valid date: a date property takes YYYY-MM-DD or epoch milliseconds at midnight UTC."
            ),
            "INVALID_DATE",
        )),
    }
}

/// An instant: epoch milliseconds or ISO 8601 (with or without an offset, or a bare date).
fn is_datetime(value: &str) -> bool {
    let v = value.trim();
    epoch_ms(v).is_some()
        || DateTime::parse_from_rfc3339(v).is_ok()
        || NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok()
        || NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
}

/// An address HubSpot would take: one `@`, a local part of the usual characters, and a
/// domain of at least two labels whose top level is alphabetic and not reserved.
fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let tld = labels.last().copied().unwrap_or_default();
    local_ok
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && !RESERVED_TLDS.contains(&tld.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    fn def(otype: &str, name: &str) -> PropDef {
        schema::properties_for(otype)
            .and_then(|defs| defs.into_iter().find(|d| d.name == name))
            .unwrap_or_else(|| panic!("{otype}.{name} is defined"))
    }

    fn code(def: &PropDef, value: &str) -> Option<&'static str> {
        check(def, value).err().map(|r| r.code)
    }

    #[test]
    fn emails_are_checked_on_the_contact_email_property() {
        let email = def("contacts", "email");
        for ok in [
            "ada@example.com",
            "Ada.Lovelace+crm@Analytical-Engines.co.uk",
            "o'brien@example.org",
        ] {
            assert_eq!(check(&email, ok), Ok(()), "{ok}");
        }
        for bad in [
            "x@y.invalid",
            "ada",
            "ada@",
            "@example.com",
            "ada@@example.com",
            "ada@example",
            "ada lovelace@example.com",
            "ada@exa_mple.com",
            "ada..l@example.com",
            "ada@example.c0m",
            "ada@-example.com",
            "ada@host.test",
        ] {
            assert_eq!(code(&email, bad), Some("INVALID_EMAIL"), "{bad}");
        }
        assert_eq!(
            check(&email, "x@y.invalid").unwrap_err().message,
            "Email address x@y.invalid is invalid",
            "the facts' message"
        );
        // Other text properties take any text.
        assert_eq!(check(&def("contacts", "firstname"), "x@y.invalid"), Ok(()));
    }

    #[test]
    fn numbers_are_decimals() {
        let amount = def("deals", "amount");
        for ok in [
            "10", "-3", "+4", "1200.50", ".5", "5.", "1e3", "2.5E-4", " 7 ",
        ] {
            assert_eq!(check(&amount, ok), Ok(()), "{ok}");
        }
        for bad in [
            "ten", "1,000", "NaN", "inf", "0x10", "1e", "1.2.3", "-", ".",
        ] {
            assert_eq!(code(&amount, bad), Some("INVALID_DECIMAL"), "{bad}");
        }
    }

    #[test]
    fn dates_take_a_day_or_midnight_utc() {
        let mut day = def("deals", "amount");
        day.ptype = "date";
        for ok in [
            "2026-09-08",
            "1788825600000",
            "0",
            "2026-09-08T00:00:00Z",
            "2026-09-08T02:00:00+02:00",
        ] {
            assert_eq!(check(&day, ok), Ok(()), "{ok}");
        }
        for bad in [
            "1788825600001",
            "2026-09-08T10:00:00Z",
            "08/09/2026",
            "2026-02-30",
            "soon",
        ] {
            assert_eq!(code(&day, bad), Some("INVALID_DATE"), "{bad}");
        }
        assert!(
            check(&day, "1788825600001")
                .unwrap_err()
                .message
                .contains("not at midnight UTC")
        );
    }

    #[test]
    fn datetimes_take_iso_8601_or_epoch_milliseconds() {
        let close = def("deals", "closedate");
        for ok in [
            "2026-09-08T10:15:30.123Z",
            "2026-09-08T10:15:30+02:00",
            "2026-09-08T10:15:30",
            "2026-09-08",
            "1788825600123",
        ] {
            assert_eq!(check(&close, ok), Ok(()), "{ok}");
        }
        for bad in ["tomorrow", "2026-13-01", "10:15"] {
            assert_eq!(code(&close, bad), Some("INVALID_LONG"), "{bad}");
        }
    }

    #[test]
    fn booleans_are_true_or_false() {
        let public = def("companies", "is_public");
        for ok in ["true", "false", "TRUE"] {
            assert_eq!(check(&public, ok), Ok(()), "{ok}");
        }
        for bad in ["yes", "1", "t"] {
            assert_eq!(code(&public, bad), Some("INVALID_BOOLEAN"), "{bad}");
        }
    }

    #[test]
    fn options_are_checked_one_by_one_for_multi_selects() {
        let label = def("leads", "hs_lead_label");
        assert_eq!(check(&label, "HOT"), Ok(()));
        let refused = check(&label, "LUKEWARM").unwrap_err();
        assert_eq!(refused.code, "INVALID_OPTION");
        assert!(
            refused
                .message
                .starts_with("LUKEWARM was not one of the allowed options: [NEW, ")
        );
        let mut multi = label.clone();
        multi.field_type = "checkbox";
        assert_eq!(check(&multi, "HOT;WARM"), Ok(()));
        assert_eq!(code(&multi, "HOT;LUKEWARM"), Some("INVALID_OPTION"));
        // Options a definition does not list (owners) are not checked.
        assert_eq!(check(&def("leads", "hubspot_owner_id"), "12345"), Ok(()));
    }

    #[test]
    fn the_empty_string_clears_any_type() {
        for (otype, name) in [
            ("contacts", "email"),
            ("deals", "amount"),
            ("deals", "closedate"),
            ("companies", "is_public"),
            ("leads", "hs_lead_label"),
        ] {
            assert_eq!(check(&def(otype, name), ""), Ok(()), "{otype}.{name}");
        }
    }
}
