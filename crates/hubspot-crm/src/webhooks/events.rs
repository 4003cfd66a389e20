//! Reading a webhook body's events, each kept whatever HubSpot sent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::{Map, Value};

use super::WebhookError;
use hubspot_crm_api::RecordId;

/// The largest body [`parse_events`] reads: HubSpot sends at most 100 events a request, each
/// well under a kilobyte.
pub const WEBHOOK_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Reads a webhook body (a JSON array of events, or a single event object) of at most
/// [`WEBHOOK_MAX_BODY_BYTES`]. Verify the signature first.
///
/// Every element becomes one event, in order: one HubSpot does not describe, or one that
/// cannot be read, is kept as [`WebhookEventKind::Unknown`] or [`WebhookEventKind::Malformed`]
/// rather than failing the others. HubSpot may deliver an event more than once and out of
/// order: `event_id` and `occurred_at` tell.
pub fn parse_events(body: &[u8]) -> Result<Vec<WebhookEvent>, WebhookError> {
    parse_events_with_limit(body, WEBHOOK_MAX_BODY_BYTES)
}

/// [`parse_events`] with another size limit, checked before parsing.
pub fn parse_events_with_limit(
    body: &[u8],
    max_body_bytes: usize,
) -> Result<Vec<WebhookEvent>, WebhookError> {
    if body.len() > max_body_bytes {
        return Err(WebhookError::BodyTooLarge {
            len: body.len(),
            max: max_body_bytes,
        });
    }
    match serde_json::from_slice(body).map_err(WebhookError::InvalidJson)? {
        Value::Array(items) => Ok(items.into_iter().map(WebhookEvent::from_json).collect()),
        single @ Value::Object(_) => Ok(vec![WebhookEvent::from_json(single)]),
        _ => Err(WebhookError::NotAnEventList),
    }
}

/// The kind of CRM object an event is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebhookObjectType {
    /// Contacts (`contact`, `0-1`).
    Contact,
    /// Companies (`company`, `0-2`).
    Company,
    /// Deals (`deal`, `0-3`).
    Deal,
    /// Tickets (`ticket`, `0-5`).
    Ticket,
    /// Products (`product`, `0-7`).
    Product,
    /// Line items (`line_item`, `0-8`).
    LineItem,
    /// Leads (`lead`, `0-136`).
    Lead,
    /// Any other type, as HubSpot named it: a type id such as `2-123456` (from
    /// `objectTypeId`), or a subscription prefix such as `conversation`.
    Other(String),
}

const KNOWN_OBJECT_TYPES: [(WebhookObjectType, &str, &str); 7] = [
    (WebhookObjectType::Contact, "contact", "0-1"),
    (WebhookObjectType::Company, "company", "0-2"),
    (WebhookObjectType::Deal, "deal", "0-3"),
    (WebhookObjectType::Ticket, "ticket", "0-5"),
    (WebhookObjectType::Product, "product", "0-7"),
    (WebhookObjectType::LineItem, "line_item", "0-8"),
    (WebhookObjectType::Lead, "lead", "0-136"),
];

impl WebhookObjectType {
    /// The type named by an `objectTypeId` such as `0-136`.
    pub fn from_type_id(type_id: &str) -> Self {
        KNOWN_OBJECT_TYPES
            .iter()
            .find(|(_, _, id)| *id == type_id)
            .map_or_else(|| Self::Other(type_id.to_owned()), |(t, _, _)| t.clone())
    }

    /// The type named by a legacy subscription prefix such as `contact` (any case).
    pub fn from_name(name: &str) -> Self {
        KNOWN_OBJECT_TYPES
            .iter()
            .find(|(_, n, _)| n.eq_ignore_ascii_case(name))
            .map_or_else(|| Self::Other(name.to_owned()), |(t, _, _)| t.clone())
    }

    /// HubSpot's type id (`0-1` for contacts), when known.
    pub fn type_id(&self) -> Option<&str> {
        match self {
            Self::Other(other) => other.contains('-').then_some(other.as_str()),
            known => KNOWN_OBJECT_TYPES
                .iter()
                .find(|(t, _, _)| t == known)
                .map(|(_, _, id)| *id),
        }
    }
}

/// One event of a webhook request. Fields HubSpot did not send are `None`; numbers sent as
/// strings are read as numbers.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WebhookEvent {
    /// `eventId`.
    pub event_id: Option<u64>,
    /// `subscriptionId`: the app's subscription that fired.
    pub subscription_id: Option<u64>,
    /// `portalId`: the HubSpot account.
    pub portal_id: Option<u64>,
    /// `appId`.
    pub app_id: Option<u64>,
    /// `occurredAt`: when it happened, in milliseconds since the Unix epoch.
    pub occurred_at: Option<u64>,
    /// `attemptNumber`: 0 for the first delivery, counting up on retries.
    pub attempt_number: Option<u32>,
    /// `subscriptionType` as sent, such as `contact.propertyChange` or `object.creation`; empty
    /// when it was missing.
    pub subscription_type: String,
    /// From `objectTypeId` where sent (generic `object.*` events), else from the
    /// subscription prefix.
    pub object_type: Option<WebhookObjectType>,
    /// `objectId`: the record the event is about.
    pub object_id: Option<RecordId>,
    /// `changeSource`, such as `CRM`, `API` or `IMPORT`.
    pub change_source: Option<String>,
    /// `changeFlag`, such as `NEW` or `DELETED`.
    pub change_flag: Option<String>,
    /// `sourceId`, such as `userId:123`.
    pub source_id: Option<String>,
    /// What happened, with the fields particular to it.
    pub kind: WebhookEventKind,
    /// The event exactly as sent.
    pub raw: Value,
}

/// What an event says happened.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum WebhookEventKind {
    /// `*.creation`.
    Creation,
    /// `*.deletion`.
    Deletion,
    /// `*.privacyDeletion`: deleted for privacy compliance (GDPR).
    PrivacyDeletion,
    /// `*.restore`: a deleted record restored.
    Restore,
    /// `*.propertyChange`.
    #[non_exhaustive]
    PropertyChange {
        /// `propertyName`.
        name: String,
        /// `propertyValue`, as text; `None` when HubSpot sent none.
        value: Option<String>,
    },
    /// `*.merge`: records merged into one.
    #[non_exhaustive]
    Merge {
        /// `primaryObjectId`: the record the others were merged into.
        primary_object_id: RecordId,
        /// `mergedObjectIds`: the records merged into it.
        merged_object_ids: Vec<RecordId>,
        /// `newObjectId`: the id of the merged record, when HubSpot gave it a new one.
        new_object_id: Option<RecordId>,
        /// `numberOfPropertiesMoved`.
        number_of_properties_moved: Option<u64>,
    },
    /// `*.associationChange`: an association added or removed.
    #[non_exhaustive]
    AssociationChange {
        /// `fromObjectId`.
        from_object_id: RecordId,
        /// `toObjectId`.
        to_object_id: RecordId,
        /// `associationRemoved`: `true` when removed, `false` when added.
        removed: bool,
        /// `associationType`, such as `CONTACT_TO_COMPANY` (legacy events).
        association_type: Option<String>,
        /// `isPrimaryAssociation`.
        is_primary: Option<bool>,
        /// `fromObjectTypeId`, such as `0-1` (generic events).
        from_object_type_id: Option<String>,
        /// `toObjectTypeId`.
        to_object_type_id: Option<String>,
        /// `associationTypeId`.
        association_type_id: Option<u64>,
        /// `associationCategory`, such as `HUBSPOT_DEFINED`.
        association_category: Option<String>,
    },
    /// A well-formed event of a type not described here; see [`WebhookEvent::raw`].
    Unknown {
        /// `subscriptionType` as sent.
        subscription_type: String,
    },
    /// An event that could not be read: not an object, no `subscriptionType`, or a field of
    /// the wrong type or missing. The fields that could be read are still set.
    Malformed {
        /// What was wrong, naming the field.
        reason: String,
    },
}

impl WebhookEvent {
    /// Reads one event; never fails (see [`WebhookEventKind::Malformed`]).
    pub fn from_json(raw: Value) -> Self {
        let mut event = WebhookEvent {
            event_id: None,
            subscription_id: None,
            portal_id: None,
            app_id: None,
            occurred_at: None,
            attempt_number: None,
            subscription_type: String::new(),
            object_type: None,
            object_id: None,
            change_source: None,
            change_flag: None,
            source_id: None,
            kind: WebhookEventKind::Malformed {
                reason: "the event is not a JSON object".to_owned(),
            },
            raw: Value::Null,
        };
        if let Value::Object(fields) = &raw {
            let mut fields = Fields {
                map: fields,
                problem: None,
            };
            event.read(&mut fields);
            if let Some(reason) = fields.problem {
                event.kind = WebhookEventKind::Malformed { reason };
            }
        }
        event.raw = raw;
        event
    }

    /// [`occurred_at`](Self::occurred_at) as a time.
    pub fn occurred_at_time(&self) -> Option<SystemTime> {
        UNIX_EPOCH.checked_add(Duration::from_millis(self.occurred_at?))
    }

    /// Whether this event could not be read ([`WebhookEventKind::Malformed`]).
    pub fn is_malformed(&self) -> bool {
        matches!(self.kind, WebhookEventKind::Malformed { .. })
    }

    fn read(&mut self, f: &mut Fields<'_>) {
        self.event_id = f.u64("eventId");
        self.subscription_id = f.u64("subscriptionId");
        self.portal_id = f.u64("portalId");
        self.app_id = f.u64("appId");
        self.occurred_at = f.u64("occurredAt");
        self.attempt_number = f.u64("attemptNumber").and_then(|n| match u32::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => f.wrong("attemptNumber"),
        });
        self.object_id = f.id("objectId");
        self.change_source = f.string("changeSource");
        self.change_flag = f.string("changeFlag");
        self.source_id = f.string("sourceId");
        let type_id = f.string("objectTypeId");
        let from_type_id = f.string("fromObjectTypeId");
        let Some(subscription_type) = f.required("subscriptionType", Fields::string) else {
            return;
        };
        let (prefix, action) = subscription_type
            .split_once('.')
            .unwrap_or((subscription_type.as_str(), ""));
        self.object_type = match (type_id, prefix) {
            (Some(id), _) => Some(WebhookObjectType::from_type_id(&id)),
            (None, "object") => from_type_id.map(|id| WebhookObjectType::from_type_id(&id)),
            (None, "") => None,
            (None, name) => Some(WebhookObjectType::from_name(name)),
        };
        let kind = match action {
            "creation" => Some(WebhookEventKind::Creation),
            "deletion" => Some(WebhookEventKind::Deletion),
            "privacyDeletion" => Some(WebhookEventKind::PrivacyDeletion),
            "restore" => Some(WebhookEventKind::Restore),
            "propertyChange" => read_property_change(f),
            "merge" => read_merge(f),
            "associationChange" => read_association_change(f),
            _ => Some(WebhookEventKind::Unknown {
                subscription_type: subscription_type.clone(),
            }),
        };
        self.subscription_type = subscription_type;
        if let Some(kind) = kind {
            self.kind = kind;
        }
    }
}

fn read_property_change(f: &mut Fields<'_>) -> Option<WebhookEventKind> {
    let name = f.required("propertyName", Fields::string);
    let value = f.text("propertyValue");
    Some(WebhookEventKind::PropertyChange { name: name?, value })
}

fn read_merge(f: &mut Fields<'_>) -> Option<WebhookEventKind> {
    let primary_object_id = f.required("primaryObjectId", Fields::id);
    let merged_object_ids = f.required("mergedObjectIds", Fields::ids);
    let new_object_id = f.id("newObjectId");
    let number_of_properties_moved = f.u64("numberOfPropertiesMoved");
    Some(WebhookEventKind::Merge {
        primary_object_id: primary_object_id?,
        merged_object_ids: merged_object_ids?,
        new_object_id,
        number_of_properties_moved,
    })
}

fn read_association_change(f: &mut Fields<'_>) -> Option<WebhookEventKind> {
    let from_object_id = f.required("fromObjectId", Fields::id);
    let to_object_id = f.required("toObjectId", Fields::id);
    let removed = f.required("associationRemoved", Fields::bool);
    Some(WebhookEventKind::AssociationChange {
        association_type: f.string("associationType"),
        is_primary: f.bool("isPrimaryAssociation"),
        from_object_type_id: f.string("fromObjectTypeId"),
        to_object_type_id: f.string("toObjectTypeId"),
        association_type_id: f.u64("associationTypeId"),
        association_category: f.string("associationCategory"),
        from_object_id: from_object_id?,
        to_object_id: to_object_id?,
        removed: removed?,
    })
}

/// An event's fields, read leniently; the first problem met is kept. `null` counts as absent.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    problem: Option<String>,
}

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn wrong<T>(&mut self, key: &str) -> Option<T> {
        self.problem
            .get_or_insert_with(|| format!("`{key}` has an unexpected type or value"));
        None
    }

    fn required<T>(
        &mut self,
        key: &str,
        read: impl FnOnce(&mut Self, &str) -> Option<T>,
    ) -> Option<T> {
        let present = self.get(key).is_some();
        let value = read(self, key);
        if !present {
            self.problem
                .get_or_insert_with(|| format!("`{key}` is missing"));
        }
        value
    }

    fn u64(&mut self, key: &str) -> Option<u64> {
        let value = self.get(key)?;
        lenient_u64(value).or_else(|| self.wrong(key))
    }

    fn id(&mut self, key: &str) -> Option<RecordId> {
        let value = self.get(key)?;
        lenient_id(value).or_else(|| self.wrong(key))
    }

    fn ids(&mut self, key: &str) -> Option<Vec<RecordId>> {
        let ids = match self.get(key)? {
            Value::Array(items) => items.iter().map(lenient_id).collect(),
            _ => None,
        };
        ids.or_else(|| self.wrong(key))
    }

    fn string(&mut self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            _ => self.wrong(key),
        }
    }

    /// A scalar as text: property values are strings, but a number or a flag is no reason
    /// to lose the event.
    fn text(&mut self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => self.wrong(key),
        }
    }

    fn bool(&mut self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => self.wrong(key),
        }
    }
}

/// A non-negative whole number, sent as a JSON number or as a string of digits.
fn lenient_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    }
}

/// A record id, sent as a number or a non-empty string (as [`RecordId`] reads them).
fn lenient_id(value: &Value) -> Option<RecordId> {
    RecordId::deserialize(value)
        .ok()
        .filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_types_map_names_and_ids() {
        assert_eq!(
            WebhookObjectType::from_type_id("0-136"),
            WebhookObjectType::Lead
        );
        assert_eq!(
            WebhookObjectType::from_name("line_item"),
            WebhookObjectType::LineItem
        );
        assert_eq!(WebhookObjectType::Lead.type_id(), Some("0-136"));
        assert_eq!(
            WebhookObjectType::from_type_id("2-99").type_id(),
            Some("2-99")
        );
        assert_eq!(WebhookObjectType::from_name("conversation").type_id(), None);
    }
}
