use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::{NoneMeans, from_properties, property_names, to_properties};
use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "UPPERCASE")]
enum Channel {
    Email,
    Phone,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
struct Row {
    name: String,
    #[serde(rename = "amount")]
    value: Option<f64>,
    seats: Option<u32>,
    priority: Option<bool>,
    close: Option<DateTime<Utc>>,
    day: Option<NaiveDate>,
    tags: Vec<String>,
    channels: Option<Vec<Channel>>,
    #[serde(skip)]
    local: u8,
}

fn props(pairs: &[(&str, Option<&str>)]) -> BTreeMap<String, Option<String>> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
        .collect()
}

fn decode_error<T: serde::de::DeserializeOwned + std::fmt::Debug>(
    pairs: &[(&str, Option<&str>)],
) -> (Option<String>, String) {
    match from_properties::<T>(&props(pairs)) {
        Err(Error::PropertyDecode {
            record_id,
            property,
            reason,
        }) => {
            assert_eq!(record_id, None);
            (property, reason)
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn strings_read_into_numbers_booleans_times_and_multi_selects() {
    let row: Row = from_properties(&props(&[
        ("name", Some("Acme")),
        ("amount", Some("1200.5")),
        ("seats", Some("12")),
        ("priority", Some("true")),
        ("close", Some("2026-03-01T09:30:00.250Z")),
        ("day", Some("2026-03-01")),
        ("tags", Some("a;b;c")),
        ("channels", Some("EMAIL;PHONE")),
        ("hs_object_id", Some("7")),
    ]))
    .unwrap();
    assert_eq!(row.name, "Acme");
    assert_eq!(row.value, Some(1200.5));
    assert_eq!(row.seats, Some(12));
    assert_eq!(row.priority, Some(true));
    let close =
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap() + chrono::Duration::milliseconds(250);
    assert_eq!(row.close, Some(close));
    assert_eq!(row.day, NaiveDate::from_ymd_opt(2026, 3, 1));
    assert_eq!(row.tags, ["a", "b", "c"]);
    assert_eq!(row.channels, Some(vec![Channel::Email, Channel::Phone]));
}

#[test]
fn null_and_empty_strings_are_none_and_empty_multi_selects() {
    let row: Row = from_properties(&props(&[
        ("name", Some("")),
        ("amount", None),
        ("seats", Some("")),
        ("priority", None),
        ("close", Some("")),
        ("tags", None),
        ("channels", Some("")),
    ]))
    .unwrap();
    assert_eq!(row.name, "");
    assert_eq!(
        (row.value, row.seats, row.priority, row.close),
        (None, None, None, None)
    );
    assert!(row.tags.is_empty());
    assert_eq!(row.channels, None);
}

#[test]
fn epoch_milliseconds_read_into_chrono_types() {
    #[derive(Deserialize)]
    struct Times {
        at: DateTime<Utc>,
        naive: NaiveDateTime,
        day: NaiveDate,
        day_of_instant: NaiveDate,
        text: String,
    }
    let times: Times = from_properties(&props(&[
        ("at", Some("1772357400250")),
        ("naive", Some("1772357400250")),
        ("day", Some("1772323200000")),
        ("day_of_instant", Some("2026-03-01T00:00:00.000Z")),
        ("text", Some("1772357400250")),
    ]))
    .unwrap();
    let at = DateTime::from_timestamp_millis(1_772_357_400_250).unwrap();
    assert_eq!(times.at, at);
    assert_eq!(times.naive, at.naive_utc());
    assert_eq!(times.day, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
    assert_eq!(
        times.day_of_instant,
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
    );
    // A string field keeps digits as they are.
    assert_eq!(times.text, "1772357400250");
}

#[test]
fn a_value_that_does_not_fit_names_the_property_and_the_value() {
    let (property, reason) = decode_error::<Row>(&[("name", Some("x")), ("amount", Some("n/a"))]);
    assert_eq!(property.as_deref(), Some("amount"));
    assert!(reason.contains("`n/a` is not a number"), "{reason}");
    let (property, reason) = decode_error::<Row>(&[("name", Some("x")), ("priority", Some("yes"))]);
    assert_eq!(property.as_deref(), Some("priority"));
    assert!(reason.contains("`yes` is not a boolean"), "{reason}");
    let (property, _) = decode_error::<Row>(&[("name", Some("x")), ("seats", Some("-1"))]);
    assert_eq!(property.as_deref(), Some("seats"));
    let (property, _) = decode_error::<Row>(&[("name", Some("x")), ("amount", Some("NaN"))]);
    assert_eq!(property.as_deref(), Some("amount"));
    let (property, reason) = decode_error::<Row>(&[("name", Some("x")), ("close", Some("soon"))]);
    assert_eq!(property.as_deref(), Some("close"));
    assert!(reason.contains("`soon`"), "{reason}");
    let (property, reason) =
        decode_error::<Row>(&[("name", Some("x")), ("channels", Some("EMAIL;FAX"))]);
    assert_eq!(property.as_deref(), Some("channels"));
    assert!(reason.contains("FAX"), "{reason}");
}

#[test]
fn a_required_field_left_null_or_not_returned_is_an_error_naming_it() {
    let (property, reason) = decode_error::<Row>(&[("name", None)]);
    assert_eq!(property.as_deref(), Some("name"));
    assert!(reason.contains("null"), "{reason}");
    let (property, reason) = decode_error::<Row>(&[("amount", Some("1"))]);
    assert_eq!(property.as_deref(), Some("name"));
    assert!(reason.contains("not returned"), "{reason}");
}

#[test]
fn a_record_decode_error_names_the_record() {
    let error = Error::PropertyDecode {
        record_id: Some("51".into()),
        property: Some("amount".into()),
        reason: "`n/a` is not a number".into(),
    };
    assert_eq!(
        error.to_string(),
        "record 51: property `amount`: `n/a` is not a number"
    );
}

#[test]
fn maps_read_every_property() {
    let map: BTreeMap<String, Option<String>> =
        from_properties(&props(&[("a", Some("1")), ("b", None)])).unwrap();
    assert_eq!(map, props(&[("a", Some("1")), ("b", None)]));
}

#[test]
fn the_probe_lists_fields_as_serde_names_them() {
    assert_eq!(
        property_names::<Row>().unwrap(),
        [
            "name", "amount", "seats", "priority", "close", "day", "tags", "channels"
        ]
    );
    assert_eq!(property_names::<BTreeMap<String, String>>(), None);
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Flat {
        name: String,
        #[serde(flatten)]
        rest: BTreeMap<String, Option<String>>,
    }
    assert_eq!(property_names::<Flat>(), None);
}

fn row() -> Row {
    Row {
        name: "Acme".into(),
        value: Some(1200.5),
        seats: None,
        priority: Some(false),
        close: Some(Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap()),
        day: NaiveDate::from_ymd_opt(2026, 3, 1),
        tags: vec!["a".into(), "b".into()],
        channels: Some(vec![Channel::Phone]),
        local: 3,
    }
}

#[test]
fn values_are_written_in_hubspot_formats_and_none_is_left_out() {
    let written = to_properties(&row(), NoneMeans::Unset).unwrap();
    let expected: BTreeMap<String, String> = [
        ("name", "Acme"),
        ("amount", "1200.5"),
        ("priority", "false"),
        ("close", "2026-03-01T09:30:00Z"),
        ("day", "2026-03-01"),
        ("tags", "a;b"),
        ("channels", "PHONE"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(written, expected);
}

#[derive(Debug, serde::Deserialize, serde::Serialize, PartialEq)]
struct Exact {
    note: String,
    share: f32,
    at: Option<chrono::NaiveDateTime>,
}

#[test]
fn a_text_that_looks_like_a_time_is_written_as_it_is_and_f32_keeps_its_digits() {
    let exact = Exact {
        note: "2026-03-01T09:30:00+02:00".into(),
        share: 0.1,
        at: None,
    };
    let written = to_properties(&exact, NoneMeans::Unset).unwrap();
    assert_eq!(written["note"], "2026-03-01T09:30:00+02:00");
    assert_eq!(written["share"], "0.1");
}

#[test]
fn a_naive_date_time_reads_hubspots_utc_instants_and_an_f32_out_of_range_is_an_error() {
    let read: Exact = from_properties(&props(&[
        ("note", Some("n")),
        ("share", Some("0.25")),
        ("at", Some("2026-03-01T09:30:00.000Z")),
    ]))
    .unwrap();
    assert_eq!(
        read.at,
        NaiveDate::from_ymd_opt(2026, 3, 1).and_then(|d| d.and_hms_opt(9, 30, 0))
    );
    let (property, reason) = decode_error::<Exact>(&[("note", Some("n")), ("share", Some("1e39"))]);
    assert_eq!(property.as_deref(), Some("share"), "{reason}");
}

#[test]
fn none_means_clear_writes_the_empty_string() {
    let written = to_properties(&row(), NoneMeans::Clear).unwrap();
    assert_eq!(written["seats"], "");
    assert_eq!(written.len(), 8);
}

#[test]
fn values_hubspot_cannot_store_are_refused_naming_the_property() {
    let mut bad = row();
    bad.value = Some(f64::INFINITY);
    let error = to_properties(&bad, NoneMeans::Unset).unwrap_err();
    assert_eq!(error.field, "amount");
    let mut bad = row();
    bad.tags = vec!["a;b".into()];
    let error = to_properties(&bad, NoneMeans::Unset).unwrap_err();
    assert_eq!(error.field, "tags");
    assert!(error.reason.contains("contains `;`"), "{}", error.reason);
    let error = to_properties(&"just text", NoneMeans::Unset).unwrap_err();
    assert_eq!(error.field, "properties");
}

fn arb_row() -> impl Strategy<Value = Row> {
    (
        "[^;]{0,12}",
        proptest::option::of(-1e12f64..1e12),
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(0i64..4_000_000_000_000),
        proptest::option::of(0i32..100_000),
        proptest::collection::vec("[a-z0-9 ]{1,8}", 0..4),
        proptest::option::of(proptest::collection::vec(
            prop_oneof![Just(Channel::Email), Just(Channel::Phone)],
            1..3,
        )),
    )
        .prop_map(
            |(name, value, seats, priority, close, day, tags, channels)| Row {
                name,
                value,
                seats,
                priority,
                close: close.and_then(DateTime::from_timestamp_millis),
                day: day.and_then(|d| NaiveDate::from_num_days_from_ce_opt(700_000 + d)),
                tags,
                channels,
                local: 0,
            },
        )
}

proptest! {
    #[test]
    fn written_values_read_back_the_same(row in arb_row()) {
        let written = to_properties(&row, NoneMeans::Unset).unwrap();
        let read: BTreeMap<String, Option<String>> =
            written.into_iter().map(|(k, v)| (k, Some(v))).collect();
        let back: Row = from_properties(&read).unwrap();
        prop_assert_eq!(back, row);
    }

    #[test]
    fn any_string_values_decode_or_fail_without_panicking(
        values in proptest::collection::btree_map(
            prop_oneof![Just("name"), Just("amount"), Just("seats"), Just("priority"),
                Just("close"), Just("day"), Just("tags"), Just("channels")],
            proptest::option::of(".{0,20}"),
            0..8,
        )
    ) {
        let map: BTreeMap<String, Option<String>> =
            values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let _ = from_properties::<Row>(&map);
        let _ = from_properties::<BTreeSet<String>>(&map);
    }
}
