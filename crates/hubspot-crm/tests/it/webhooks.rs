//! Webhook signatures (HubSpot's documented v1/v2 examples, and v3 vectors computed here from
//! the documented formula, never by the code under test) and event parsing.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use hubspot_crm::{
    RecordId, SignatureVersion, WEBHOOK_MAX_BODY_BYTES, WebhookError, WebhookEvent,
    WebhookEventKind, WebhookObjectType, WebhookVerifier, parse_events, parse_events_with_limit,
};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The client secret of HubSpot's documented examples.
const DOC_SECRET: &str = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
const SECRET: &str = "3b8c1c2e-5f4a-4d6e-9a1b-0c2d3e4f5a6b";
const URI: &str = "https://example.com/hubspot/webhook";
const NOW_MS: u64 = 1_764_151_200_000;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(NOW_MS)
}

fn body() -> &'static [u8] {
    br#"[{"eventId":100,"subscriptionId":200,"portalId":300,"appId":400,"occurredAt":1764151190000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW"}]"#
}

/// HubSpot's v3 formula: base64(HMAC-SHA256(secret, method + uri + body + timestamp)).
fn v3_signature(secret: &str, method: &str, uri: &str, body: &[u8], timestamp: &str) -> String {
    let mut source = Vec::new();
    source.extend_from_slice(method.as_bytes());
    source.extend_from_slice(uri.as_bytes());
    source.extend_from_slice(body);
    source.extend_from_slice(timestamp.as_bytes());
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&source);
    BASE64.encode(mac.finalize().into_bytes())
}

fn sha256_hex(source: &[u8]) -> String {
    Sha256::digest(source)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

fn v3_headers(signature: &str, timestamp: &str) -> HeaderMap {
    headers(&[
        ("X-HubSpot-Signature-v3", signature),
        ("X-HubSpot-Request-Timestamp", timestamp),
    ])
}

/// A request signed for `timestamp`, checked at [`now`].
fn verify_v3_at(timestamp_ms: u64) -> Result<SignatureVersion, WebhookError> {
    let timestamp = timestamp_ms.to_string();
    let signature = v3_signature(SECRET, "POST", URI, body(), &timestamp);
    WebhookVerifier::new(SECRET).verify_at(
        "POST",
        URI,
        &v3_headers(&signature, &timestamp),
        body(),
        now(),
    )
}

fn legacy_headers(version: &str, signature: &str) -> HeaderMap {
    headers(&[
        ("X-HubSpot-Signature", signature),
        ("X-HubSpot-Signature-Version", version),
    ])
}

// HubSpot's documented examples (developers.hubspot.com, "Validating requests"), verbatim.

const DOC_V1_BODY: &str = r#"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]"#;
const DOC_V1_HASH: &str = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de";
const DOC_V2_GET_URI: &str = "https://www.example.com/webhook_uri";
const DOC_V2_GET_HASH: &str = "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e";
const DOC_V2_POST_BODY: &str = r#"{"example_field":"example_value"}"#;
const DOC_V2_POST_HASH: &str = "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900";

#[test]
fn documented_hashes_match_the_documented_formula() {
    // Guards the vectors themselves: secret + body (v1), secret + method + URI + body (v2).
    assert_eq!(
        sha256_hex(format!("{DOC_SECRET}{DOC_V1_BODY}").as_bytes()),
        DOC_V1_HASH
    );
    assert_eq!(
        sha256_hex(format!("{DOC_SECRET}GET{DOC_V2_GET_URI}").as_bytes()),
        DOC_V2_GET_HASH
    );
    assert_eq!(
        sha256_hex(format!("{DOC_SECRET}POST{DOC_V2_GET_URI}{DOC_V2_POST_BODY}").as_bytes()),
        DOC_V2_POST_HASH
    );
}

#[test]
fn documented_v1_example_passes_when_enabled() {
    let verifier = WebhookVerifier::new(DOC_SECRET).accept_v1_v2(true);
    let version = verifier
        .verify_at(
            "POST",
            "https://anything.example/ignored-by-v1",
            &legacy_headers("v1", DOC_V1_HASH),
            DOC_V1_BODY.as_bytes(),
            now(),
        )
        .unwrap();
    assert_eq!(version, SignatureVersion::V1);
    // The same body parses as HubSpot's documented event.
    let events = parse_events(DOC_V1_BODY.as_bytes()).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_id, Some(1));
    assert_eq!(events[0].portal_id, Some(62515));
    assert_eq!(events[0].app_id, Some(54321));
    assert_eq!(events[0].object_type, Some(WebhookObjectType::Contact));
    assert_eq!(events[0].kind, WebhookEventKind::Creation);
}

#[test]
fn documented_v2_examples_pass_when_enabled() {
    let verifier = WebhookVerifier::new(DOC_SECRET).accept_v1_v2(true);
    let get = verifier.verify_at(
        "GET",
        DOC_V2_GET_URI,
        &legacy_headers("v2", DOC_V2_GET_HASH),
        b"",
        now(),
    );
    assert_eq!(get.unwrap(), SignatureVersion::V2);
    let post = verifier.verify_at(
        "POST",
        DOC_V2_GET_URI,
        &legacy_headers("v2", &DOC_V2_POST_HASH.to_ascii_uppercase()),
        DOC_V2_POST_BODY.as_bytes(),
        now(),
    );
    assert_eq!(post.unwrap(), SignatureVersion::V2);
}

#[test]
fn v2_is_bound_to_method_uri_and_body() {
    let verifier = WebhookVerifier::new(DOC_SECRET).accept_v1_v2(true);
    let check = |method: &str, uri: &str, body: &str| {
        verifier.verify_at(
            method,
            uri,
            &legacy_headers("v2", DOC_V2_POST_HASH),
            body.as_bytes(),
            now(),
        )
    };
    for (method, uri, body) in [
        ("PUT", DOC_V2_GET_URI, DOC_V2_POST_BODY),
        ("POST", "https://www.example.com/other", DOC_V2_POST_BODY),
        ("POST", DOC_V2_GET_URI, r#"{"example_field":"other"}"#),
    ] {
        assert!(
            matches!(check(method, uri, body), Err(WebhookError::BadSignature)),
            "{method} {uri} {body}"
        );
    }
    // v1 signed with another secret.
    let wrong = WebhookVerifier::new(SECRET).accept_v1_v2(true).verify_at(
        "POST",
        URI,
        &legacy_headers("v1", DOC_V1_HASH),
        DOC_V1_BODY.as_bytes(),
        now(),
    );
    assert!(matches!(wrong, Err(WebhookError::BadSignature)));
    // Not hex, or not 64 digits.
    let garbled = verifier.verify_at(
        "POST",
        DOC_V2_GET_URI,
        &legacy_headers("v2", &DOC_V2_POST_HASH[1..]),
        DOC_V2_POST_BODY.as_bytes(),
        now(),
    );
    assert!(matches!(garbled, Err(WebhookError::BadSignature)));
}

#[test]
fn v1_and_v2_are_refused_by_default() {
    let verifier = WebhookVerifier::new(DOC_SECRET);
    let v1 = verifier.verify_at(
        "POST",
        URI,
        &legacy_headers("v1", DOC_V1_HASH),
        DOC_V1_BODY.as_bytes(),
        now(),
    );
    assert!(matches!(
        v1,
        Err(WebhookError::VersionNotAccepted(SignatureVersion::V1))
    ));
    let v2 = verifier.verify_at(
        "GET",
        DOC_V2_GET_URI,
        &legacy_headers("v2", DOC_V2_GET_HASH),
        b"",
        now(),
    );
    assert!(matches!(
        v2,
        Err(WebhookError::VersionNotAccepted(SignatureVersion::V2))
    ));
    // Explicitly turned off again.
    let off = WebhookVerifier::new(DOC_SECRET)
        .accept_v1_v2(true)
        .accept_v1_v2(false)
        .verify_at(
            "GET",
            DOC_V2_GET_URI,
            &legacy_headers("v2", DOC_V2_GET_HASH),
            b"",
            now(),
        );
    assert!(matches!(off, Err(WebhookError::VersionNotAccepted(_))));
}

#[test]
fn unknown_or_missing_legacy_versions_are_refused() {
    let verifier = WebhookVerifier::new(DOC_SECRET).accept_v1_v2(true);
    let v4 = verifier.verify_at(
        "POST",
        URI,
        &legacy_headers("v4", DOC_V1_HASH),
        DOC_V1_BODY.as_bytes(),
        now(),
    );
    assert!(matches!(v4, Err(WebhookError::UnknownVersion(v)) if v == "v4"));
    let none = verifier.verify_at(
        "POST",
        URI,
        &headers(&[("X-HubSpot-Signature", DOC_V1_HASH)]),
        DOC_V1_BODY.as_bytes(),
        now(),
    );
    assert!(matches!(none, Err(WebhookError::UnknownVersion(v)) if v.is_empty()));
}

#[test]
fn fresh_v3_passes() {
    assert_eq!(verify_v3_at(NOW_MS).unwrap(), SignatureVersion::V3);
    // Four minutes either way is within the window.
    assert_eq!(
        verify_v3_at(NOW_MS - 240_000).unwrap(),
        SignatureVersion::V3
    );
    assert_eq!(
        verify_v3_at(NOW_MS + 240_000).unwrap(),
        SignatureVersion::V3
    );
}

#[test]
fn fresh_v3_passes_against_the_real_clock() {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string();
    let signature = v3_signature(SECRET, "POST", URI, body(), &timestamp);
    let version = WebhookVerifier::new(SECRET)
        .verify("POST", URI, &v3_headers(&signature, &timestamp), body())
        .unwrap();
    assert_eq!(version, SignatureVersion::V3);
}

#[test]
fn v3_with_a_wrong_secret_is_refused() {
    let timestamp = NOW_MS.to_string();
    let signature = v3_signature("another-secret", "POST", URI, body(), &timestamp);
    let result = WebhookVerifier::new(SECRET).verify_at(
        "POST",
        URI,
        &v3_headers(&signature, &timestamp),
        body(),
        now(),
    );
    assert!(matches!(result, Err(WebhookError::BadSignature)));
}

#[test]
fn v3_is_bound_to_method_uri_body_and_timestamp() {
    let timestamp = NOW_MS.to_string();
    let signature = v3_signature(SECRET, "POST", URI, body(), &timestamp);
    let verifier = WebhookVerifier::new(SECRET);
    let altered_body = body().to_vec().into_iter().rev().collect::<Vec<_>>();
    let cases: [(&str, &str, &[u8], &str); 5] = [
        ("GET", URI, body(), &timestamp),
        ("post", URI, body(), &timestamp),
        (
            "POST",
            "https://example.com/hubspot/webhook2",
            body(),
            &timestamp,
        ),
        ("POST", URI, &altered_body, &timestamp),
        ("POST", URI, body(), &(NOW_MS - 1).to_string()),
    ];
    for (method, uri, body, timestamp) in cases {
        let result =
            verifier.verify_at(method, uri, &v3_headers(&signature, timestamp), body, now());
        assert!(
            matches!(result, Err(WebhookError::BadSignature)),
            "{method} {uri} {timestamp}: {result:?}"
        );
    }
    // A one-byte change in the body.
    let mut tampered = body().to_vec();
    tampered[20] ^= 1;
    let result = verifier.verify_at(
        "POST",
        URI,
        &v3_headers(&signature, &timestamp),
        &tampered,
        now(),
    );
    assert!(matches!(result, Err(WebhookError::BadSignature)));
}

#[test]
fn v3_signature_that_is_not_base64_is_refused() {
    let timestamp = NOW_MS.to_string();
    for garbage in ["not base64!", "", "AAAA"] {
        let result = WebhookVerifier::new(SECRET).verify_at(
            "POST",
            URI,
            &v3_headers(garbage, &timestamp),
            body(),
            now(),
        );
        assert!(
            matches!(result, Err(WebhookError::BadSignature)),
            "{garbage:?}"
        );
    }
}

#[test]
fn stale_v3_is_refused() {
    let six_minutes = 6 * 60 * 1000;
    match verify_v3_at(NOW_MS - six_minutes) {
        Err(WebhookError::Stale { age, max_age }) => {
            assert_eq!(age, Duration::from_secs(360));
            assert_eq!(max_age, Duration::from_secs(300));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn future_v3_is_refused() {
    let six_minutes = 6 * 60 * 1000;
    match verify_v3_at(NOW_MS + six_minutes) {
        Err(WebhookError::InFuture { ahead, .. }) => assert_eq!(ahead, Duration::from_secs(360)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn v3_timestamp_in_seconds_is_refused_as_stale() {
    // Correctly signed, but the timestamp is seconds: read as milliseconds it is 1970.
    let seconds = NOW_MS / 1000;
    assert!(matches!(
        verify_v3_at(seconds),
        Err(WebhookError::Stale { .. })
    ));
}

#[test]
fn max_age_is_configurable() {
    let timestamp = (NOW_MS - 60_000).to_string();
    let signature = v3_signature(SECRET, "POST", URI, body(), &timestamp);
    let headers = v3_headers(&signature, &timestamp);
    let strict = WebhookVerifier::new(SECRET).max_age(Duration::from_secs(30));
    assert!(matches!(
        strict.verify_at("POST", URI, &headers, body(), now()),
        Err(WebhookError::Stale { .. })
    ));
    let relaxed = WebhookVerifier::new(SECRET).max_age(Duration::from_secs(120));
    assert!(
        relaxed
            .verify_at("POST", URI, &headers, body(), now())
            .is_ok()
    );
}

#[test]
fn v3_timestamp_must_be_whole_milliseconds() {
    // Each is signed correctly over the bad timestamp: the refusal is the parse.
    for timestamp in [
        "1764151200000.0",
        "1.7641512e12",
        "-1764151200000",
        "+1764151200000",
        "1764151200000 ",
        "",
        "99999999999999999999999",
        "now",
    ] {
        let signature = v3_signature(SECRET, "POST", URI, body(), timestamp);
        let result = WebhookVerifier::new(SECRET).verify_at(
            "POST",
            URI,
            &v3_headers(&signature, timestamp),
            body(),
            now(),
        );
        assert!(
            matches!(result, Err(WebhookError::InvalidTimestamp)),
            "{timestamp:?}: {result:?}"
        );
    }
}

#[test]
fn missing_headers_are_refused() {
    let verifier = WebhookVerifier::new(SECRET).accept_v1_v2(true);
    assert!(matches!(
        verifier.verify_at("POST", URI, &HeaderMap::new(), body(), now()),
        Err(WebhookError::MissingSignature)
    ));
    // The timestamp alone is no signature.
    assert!(matches!(
        verifier.verify_at(
            "POST",
            URI,
            &headers(&[("X-HubSpot-Request-Timestamp", &NOW_MS.to_string())]),
            body(),
            now(),
        ),
        Err(WebhookError::MissingSignature)
    ));
    let signature = v3_signature(SECRET, "POST", URI, body(), &NOW_MS.to_string());
    assert!(matches!(
        verifier.verify_at(
            "POST",
            URI,
            &headers(&[("X-HubSpot-Signature-v3", &signature)]),
            body(),
            now(),
        ),
        Err(WebhookError::MissingTimestamp)
    ));
}

#[test]
fn header_names_match_in_any_case() {
    let timestamp = NOW_MS.to_string();
    let signature = v3_signature(SECRET, "POST", URI, body(), &timestamp);
    let lower = headers(&[
        ("x-hubspot-signature-v3", &signature),
        ("x-hubspot-request-timestamp", &timestamp),
    ]);
    assert_eq!(
        WebhookVerifier::new(SECRET)
            .verify_at("POST", URI, &lower, body(), now())
            .unwrap(),
        SignatureVersion::V3
    );
}

#[test]
fn failed_v3_does_not_fall_back_to_v1() {
    // A valid v1 beside a bad v3: judged on v3 alone.
    let mut map = legacy_headers("v1", &sha256_hex(&[SECRET.as_bytes(), body()].concat()));
    map.extend(v3_headers("AAAA", &NOW_MS.to_string()));
    let result =
        WebhookVerifier::new(SECRET)
            .accept_v1_v2(true)
            .verify_at("POST", URI, &map, body(), now());
    assert!(matches!(result, Err(WebhookError::BadSignature)));
    // And the same v1 alone passes, so the refusal above is the v3's.
    let alone = legacy_headers("v1", &sha256_hex(&[SECRET.as_bytes(), body()].concat()));
    assert_eq!(
        WebhookVerifier::new(SECRET)
            .accept_v1_v2(true)
            .verify_at("POST", URI, &alone, body(), now())
            .unwrap(),
        SignatureVersion::V1
    );
}

#[test]
fn v3_uri_escapes_are_decoded_per_hubspots_table() {
    let called = "https://example.com/hook%3Aone?redirect=https%3A%2F%2Fa.example%2Fb%3Fc%3Dd\
                  &mail=me%40example.com&chars=%21%24%27%28%29%2a%2C%3B&space=a%20b&amp=x%26y";
    // What HubSpot signs: the table's escapes decoded (either hex case), the rest left alone.
    let signed = "https://example.com/hook:one?redirect=https://a.example/b?c%3Dd\
                  &mail=me@example.com&chars=!$'()*,;&space=a%20b&amp=x%26y";
    let timestamp = NOW_MS.to_string();
    let verifier = WebhookVerifier::new(SECRET);
    let signature = v3_signature(SECRET, "POST", signed, body(), &timestamp);
    assert_eq!(
        verifier
            .verify_at(
                "POST",
                called,
                &v3_headers(&signature, &timestamp),
                body(),
                now()
            )
            .unwrap(),
        SignatureVersion::V3
    );
    // Already decoded by the framework: the same string, so it passes too.
    assert!(
        verifier
            .verify_at(
                "POST",
                signed,
                &v3_headers(&signature, &timestamp),
                body(),
                now()
            )
            .is_ok()
    );
    // A signature over the undecoded URI is not what HubSpot sends.
    let undecoded = v3_signature(SECRET, "POST", called, body(), &timestamp);
    assert!(matches!(
        verifier.verify_at(
            "POST",
            called,
            &v3_headers(&undecoded, &timestamp),
            body(),
            now()
        ),
        Err(WebhookError::BadSignature)
    ));
}

#[test]
fn empty_secret_is_refused() {
    let timestamp = NOW_MS.to_string();
    let signature = v3_signature("", "POST", URI, body(), &timestamp);
    let result = WebhookVerifier::new("").verify_at(
        "POST",
        URI,
        &v3_headers(&signature, &timestamp),
        body(),
        now(),
    );
    assert!(matches!(result, Err(WebhookError::EmptySecret)));
}

#[test]
fn the_secret_never_shows() {
    let verifier = WebhookVerifier::new(SECRET)
        .accept_v1_v2(true)
        .max_age(Duration::from_secs(60));
    let shown = format!("{verifier:?} {:#?}", verifier.clone());
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(!shown.contains("3b8c1c2e"), "{shown}");
}

#[test]
fn errors_suggest_a_status() {
    assert_eq!(WebhookError::BadSignature.status().as_u16(), 401);
    assert_eq!(WebhookError::MissingSignature.status().as_u16(), 401);
    assert_eq!(
        WebhookError::BodyTooLarge { len: 2, max: 1 }
            .status()
            .as_u16(),
        413
    );
    assert_eq!(WebhookError::NotAnEventList.status().as_u16(), 400);
}

// Events.

/// A batch as HubSpot sends one: legacy and generic subscription types, ids as numbers and as
/// strings, a type this crate does not describe, and two events that cannot be read.
fn realistic_batch() -> Value {
    json!([
        {"eventId": 3816279340u64, "subscriptionId": 25, "portalId": 33, "appId": 1160452,
         "occurredAt": 1764151190000u64, "subscriptionType": "contact.creation",
         "attemptNumber": 0, "objectId": 1246965, "changeSource": "CRM", "changeFlag": "NEW"},
        {"eventId": "3816279341", "subscriptionId": 26, "portalId": 33, "appId": 1160452,
         "occurredAt": 1764151191000u64, "subscriptionType": "contact.propertyChange",
         "attemptNumber": 1, "objectId": "1246965", "propertyName": "email",
         "propertyValue": "ada@example.com", "changeSource": "API", "sourceId": "userId:42"},
        {"eventId": 3816279342u64, "subscriptionId": 27, "portalId": 33, "appId": 1160452,
         "occurredAt": 1764151192000u64, "subscriptionType": "deal.deletion",
         "attemptNumber": 0, "objectId": 98765, "changeFlag": "DELETED"},
        {"eventId": 3816279343u64, "subscriptionId": 28, "portalId": 33, "appId": 1160452,
         "occurredAt": 1764151193000u64, "subscriptionType": "contact.merge",
         "attemptNumber": 0, "objectId": 1246978, "primaryObjectId": 1246978,
         "mergedObjectIds": [1246965, "1246970"], "newObjectId": 1246999,
         "numberOfPropertiesMoved": 45, "changeSource": "CRM"},
        {"eventId": 3816279344u64, "subscriptionId": 29, "portalId": 33, "appId": 1160452,
         "occurredAt": 1764151194000u64, "subscriptionType": "contact.associationChange",
         "attemptNumber": 0, "associationType": "CONTACT_TO_COMPANY",
         "fromObjectId": 1246978, "toObjectId": 5678, "associationRemoved": false,
         "isPrimaryAssociation": true, "changeSource": "USER"},
        {"eventId": 3816279345u64, "subscriptionId": 30, "portalId": 33, "appId": 1160452,
         "occurredAt": 1764151195000u64, "subscriptionType": "object.creation",
         "attemptNumber": 0, "objectId": 81726354, "objectTypeId": "0-136",
         "changeSource": "CRM_UI"},
        {"eventId": 3816279346u64, "subscriptionId": 31, "portalId": 33, "appId": 1160452,
         "occurredAt": 1764151196000u64, "subscriptionType": "object.propertyChange",
         "attemptNumber": 0, "objectId": 81726354, "objectTypeId": "0-136",
         "propertyName": "hs_lead_label", "propertyValue": "HOT"},
        {"eventId": 3816279347u64, "subscriptionId": 32, "portalId": 33, "appId": 1160452,
         "occurredAt": 1764151197000u64, "subscriptionType": "object.associationChange",
         "attemptNumber": 0, "fromObjectTypeId": "0-136", "toObjectTypeId": "0-1",
         "fromObjectId": 81726354, "toObjectId": 1246978, "associationRemoved": true,
         "associationTypeId": 578, "associationCategory": "HUBSPOT_DEFINED",
         "isPrimaryAssociation": false},
        {"eventId": 3816279348u64, "subscriptionId": 33, "portalId": 33, "appId": 1160452,
         "occurredAt": 1764151198000u64, "subscriptionType": "contact.privacyDeletion",
         "attemptNumber": 0, "objectId": 1246965},
        {"eventId": 3816279349u64, "subscriptionId": 34, "portalId": 33, "appId": 1160452,
         "occurredAt": 1764151199000u64, "subscriptionType": "ticket.restore",
         "attemptNumber": 0, "objectId": 4242},
        {"eventId": 3816279350u64, "subscriptionId": 35, "portalId": 33, "appId": 1160452,
         "occurredAt": 1764151199500u64, "subscriptionType": "conversation.newMessage",
         "attemptNumber": 0, "objectId": 777, "messageId": "abc", "messageType": "MESSAGE"},
        // A property change that names no property.
        {"eventId": 3816279351u64, "subscriptionId": 36, "portalId": 33, "appId": 1160452,
         "occurredAt": 1764151199600u64, "subscriptionType": "company.propertyChange",
         "attemptNumber": 0, "objectId": 5678, "propertyValue": "x"},
        // Not an event at all.
        42,
        {"eventId": 3816279352u64, "subscriptionId": 37, "portalId": 33, "appId": 1160452,
         "occurredAt": 1764151199700u64, "subscriptionType": "company.creation",
         "attemptNumber": 0, "objectId": 5679}
    ])
}

fn id(id: &str) -> RecordId {
    RecordId::from(id)
}

#[test]
fn realistic_batch_parses_every_event_in_order() {
    let batch = realistic_batch();
    let body = serde_json::to_vec(&batch).unwrap();
    let events = parse_events(&body).unwrap();
    assert_eq!(events.len(), 14);

    // Raw JSON is kept on every event, exactly as sent.
    for (event, raw) in events.iter().zip(batch.as_array().unwrap()) {
        assert_eq!(&event.raw, raw);
    }

    let created = &events[0];
    assert_eq!(created.event_id, Some(3_816_279_340));
    assert_eq!(created.subscription_id, Some(25));
    assert_eq!(created.portal_id, Some(33));
    assert_eq!(created.app_id, Some(1_160_452));
    assert_eq!(created.occurred_at, Some(1_764_151_190_000));
    assert_eq!(
        created.occurred_at_time(),
        Some(UNIX_EPOCH + Duration::from_millis(1_764_151_190_000))
    );
    assert_eq!(created.attempt_number, Some(0));
    assert_eq!(created.subscription_type, "contact.creation");
    assert_eq!(created.object_type, Some(WebhookObjectType::Contact));
    assert_eq!(created.object_id, Some(id("1246965")));
    assert_eq!(created.change_source.as_deref(), Some("CRM"));
    assert_eq!(created.change_flag.as_deref(), Some("NEW"));
    assert_eq!(created.kind, WebhookEventKind::Creation);

    // Ids sent as strings read the same as numbers.
    let changed = &events[1];
    assert_eq!(changed.event_id, Some(3_816_279_341));
    assert_eq!(changed.object_id, Some(id("1246965")));
    assert_eq!(changed.attempt_number, Some(1));
    assert_eq!(changed.source_id.as_deref(), Some("userId:42"));
    assert!(matches!(
        &changed.kind,
        WebhookEventKind::PropertyChange { name, value, .. }
            if name == "email" && value.as_deref() == Some("ada@example.com")
    ));

    assert_eq!(events[2].object_type, Some(WebhookObjectType::Deal));
    assert_eq!(events[2].kind, WebhookEventKind::Deletion);

    match &events[3].kind {
        WebhookEventKind::Merge {
            primary_object_id,
            merged_object_ids,
            new_object_id,
            number_of_properties_moved,
            ..
        } => {
            assert_eq!(primary_object_id, &id("1246978"));
            assert_eq!(merged_object_ids, &[id("1246965"), id("1246970")]);
            assert_eq!(new_object_id, &Some(id("1246999")));
            assert_eq!(number_of_properties_moved, &Some(45));
        }
        other => panic!("{other:?}"),
    }

    match &events[4].kind {
        WebhookEventKind::AssociationChange {
            association_type,
            from_object_id,
            to_object_id,
            removed,
            is_primary,
            ..
        } => {
            assert_eq!(association_type.as_deref(), Some("CONTACT_TO_COMPANY"));
            assert_eq!(from_object_id, &id("1246978"));
            assert_eq!(to_object_id, &id("5678"));
            assert!(!removed);
            assert_eq!(is_primary, &Some(true));
        }
        other => panic!("{other:?}"),
    }

    // Generic events: the type comes from objectTypeId.
    assert_eq!(events[5].object_type, Some(WebhookObjectType::Lead));
    assert_eq!(events[5].kind, WebhookEventKind::Creation);
    assert_eq!(events[6].object_type, Some(WebhookObjectType::Lead));
    assert!(matches!(
        &events[6].kind,
        WebhookEventKind::PropertyChange { name, value, .. }
            if name == "hs_lead_label" && value.as_deref() == Some("HOT")
    ));
    assert_eq!(events[7].object_type, Some(WebhookObjectType::Lead));
    match &events[7].kind {
        WebhookEventKind::AssociationChange {
            from_object_id,
            to_object_id,
            removed,
            from_object_type_id,
            to_object_type_id,
            association_type_id,
            association_category,
            is_primary,
            ..
        } => {
            assert_eq!(from_object_id, &id("81726354"));
            assert_eq!(to_object_id, &id("1246978"));
            assert!(removed);
            assert_eq!(from_object_type_id.as_deref(), Some("0-136"));
            assert_eq!(to_object_type_id.as_deref(), Some("0-1"));
            assert_eq!(association_type_id, &Some(578));
            assert_eq!(association_category.as_deref(), Some("HUBSPOT_DEFINED"));
            assert_eq!(is_primary, &Some(false));
        }
        other => panic!("{other:?}"),
    }

    assert_eq!(events[8].kind, WebhookEventKind::PrivacyDeletion);
    assert_eq!(events[9].kind, WebhookEventKind::Restore);
    assert_eq!(events[9].object_type, Some(WebhookObjectType::Ticket));

    // Unknown type: kept, with its fields in `raw`.
    let unknown = &events[10];
    assert_eq!(
        unknown.kind,
        WebhookEventKind::Unknown {
            subscription_type: "conversation.newMessage".into()
        }
    );
    assert_eq!(
        unknown.object_type,
        Some(WebhookObjectType::Other("conversation".into()))
    );
    assert_eq!(unknown.event_id, Some(3_816_279_350));
    assert_eq!(unknown.raw["messageId"], "abc");

    // Malformed ones: kept, with what could be read, and the rest still parsed.
    let no_name = &events[11];
    assert!(no_name.is_malformed());
    assert!(
        matches!(&no_name.kind, WebhookEventKind::Malformed { reason } if reason.contains("propertyName")),
        "{:?}",
        no_name.kind
    );
    assert_eq!(no_name.event_id, Some(3_816_279_351));
    assert_eq!(no_name.object_type, Some(WebhookObjectType::Company));
    assert_eq!(no_name.object_id, Some(id("5678")));

    let not_an_object = &events[12];
    assert!(not_an_object.is_malformed());
    assert_eq!(not_an_object.raw, json!(42));
    assert_eq!(not_an_object.subscription_type, "");
    assert_eq!(not_an_object.event_id, None);

    assert_eq!(events[13].kind, WebhookEventKind::Creation);
    assert_eq!(events[13].object_type, Some(WebhookObjectType::Company));
    assert!(events.iter().filter(|e| e.is_malformed()).count() == 2);
}

#[test]
fn fields_of_the_wrong_type_make_only_that_event_malformed() {
    let body = json!([
        {"eventId": -5, "portalId": 33, "subscriptionType": "contact.creation", "objectId": 1},
        {"eventId": 1.5, "subscriptionType": "contact.creation"},
        {"eventId": 7, "subscriptionType": 12},
        {"eventId": 8},
        {"eventId": 9, "subscriptionType": "contact.merge", "primaryObjectId": 1,
         "mergedObjectIds": "2"},
        {"eventId": 10, "subscriptionType": "contact.associationChange",
         "fromObjectId": 1, "toObjectId": {"id": 2}, "associationRemoved": false},
        {"eventId": 11, "subscriptionType": "contact.associationChange",
         "fromObjectId": 1, "toObjectId": 2},
        {"eventId": 12, "subscriptionType": "contact.propertyChange", "propertyName": "age",
         "propertyValue": 42, "attemptNumber": "3"},
        {"eventId": 13, "subscriptionType": "contact.propertyChange", "propertyName": "x",
         "propertyValue": null, "objectId": null},
        {"eventId": 14, "subscriptionType": "contact.creation", "attemptNumber": 99999999999u64}
    ]);
    let events = parse_events(&serde_json::to_vec(&body).unwrap()).unwrap();
    assert_eq!(events.len(), 10);
    let reason = |e: &WebhookEvent| match &e.kind {
        WebhookEventKind::Malformed { reason } => reason.clone(),
        other => panic!("{other:?}"),
    };
    assert!(reason(&events[0]).contains("eventId"));
    assert_eq!(events[0].event_id, None);
    assert_eq!(events[0].portal_id, Some(33));
    assert_eq!(events[0].object_id, Some(id("1")));
    assert_eq!(events[0].subscription_type, "contact.creation");
    assert!(reason(&events[1]).contains("eventId"));
    assert!(reason(&events[2]).contains("subscriptionType"));
    assert_eq!(events[2].event_id, Some(7));
    assert!(reason(&events[3]).contains("subscriptionType"));
    assert!(reason(&events[4]).contains("mergedObjectIds"));
    assert!(reason(&events[5]).contains("toObjectId"));
    assert!(reason(&events[6]).contains("associationRemoved"));
    // Lenient where nothing is lost: a numeric value as text, a count sent as a string.
    assert!(matches!(
        &events[7].kind,
        WebhookEventKind::PropertyChange { name, value, .. }
            if name == "age" && value.as_deref() == Some("42")
    ));
    assert_eq!(events[7].attempt_number, Some(3));
    // `null` is absent.
    assert!(matches!(
        &events[8].kind,
        WebhookEventKind::PropertyChange { value: None, .. }
    ));
    assert_eq!(events[8].object_id, None);
    assert!(reason(&events[9]).contains("attemptNumber"));
}

#[test]
fn a_single_event_object_is_one_event() {
    let events = parse_events(DOC_V1_BODY.trim_matches(['[', ']']).as_bytes()).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_id, Some(1));
    assert!(parse_events(b"[]").unwrap().is_empty());
}

#[test]
fn bodies_that_are_not_events_are_errors() {
    for body in [&b"\"events\""[..], b"42", b"null", b"true"] {
        assert!(
            matches!(parse_events(body), Err(WebhookError::NotAnEventList)),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    for body in [&b""[..], b"[{", b"not json", b"[1,]"] {
        assert!(
            matches!(parse_events(body), Err(WebhookError::InvalidJson(_))),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn oversized_bodies_are_refused_before_parsing() {
    // Not even JSON: the size is checked first.
    let big = vec![b'x'; WEBHOOK_MAX_BODY_BYTES + 1];
    assert!(matches!(
        parse_events(&big),
        Err(WebhookError::BodyTooLarge { len, max })
            if len == WEBHOOK_MAX_BODY_BYTES + 1 && max == WEBHOOK_MAX_BODY_BYTES
    ));
    let body = DOC_V1_BODY.as_bytes();
    assert!(matches!(
        parse_events_with_limit(body, body.len() - 1),
        Err(WebhookError::BodyTooLarge { .. })
    ));
    assert_eq!(parse_events_with_limit(body, body.len()).unwrap().len(), 1);
}
