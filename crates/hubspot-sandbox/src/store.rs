//! The in-memory CRM: objects, property history, unique indexes and associations.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::PROPERTY_HISTORY_CAPACITY;
use crate::error::{ApiError, ApiResult, Detail};
use crate::schema::{
    self, CONTACT_PRIMARY_LEAD, Category, LEAD_CONTACT, LEAD_PRIMARY_CONTACT, PropDef,
};
use crate::values::{self, Refusal};

/// First id handed out; realistic-looking HubSpot ids.
const FIRST_ID: u64 = 100_000_000_001;

/// RFC 3339 with milliseconds and `Z`, as HubSpot formats instants.
pub(crate) fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// One historical value of a property.
#[derive(Debug, Clone)]
pub(crate) struct HistEntry {
    pub value: String,
    pub timestamp: DateTime<Utc>,
}

/// A stored CRM object. The store keeps objects behind an [`Arc`] so that reads copy
/// pointers under the store lock and build their answers after releasing it; writes copy an
/// object only while a read still holds it ([`Arc::make_mut`]).
#[derive(Debug, Clone)]
pub(crate) struct Object {
    pub id: u64,
    /// Oldest value first, at most [`PROPERTY_HISTORY_CAPACITY`] per property.
    pub props: HashMap<String, VecDeque<HistEntry>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

impl Object {
    /// Current value, `None` if never set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.props
            .get(name)
            .and_then(|h| h.back())
            .map(|e| e.value.as_str())
    }

    pub fn archived(&self) -> bool {
        self.archived_at.is_some()
    }

    /// The history of a property, newest value first.
    pub fn history(&self, name: &str) -> impl Iterator<Item = &HistEntry> {
        self.props
            .get(name)
            .into_iter()
            .flat_map(|h| h.iter().rev())
    }

    /// Appends a value; the oldest is dropped once the property has
    /// [`PROPERTY_HISTORY_CAPACITY`] values, so every write is O(1) and bounded.
    fn set(&mut self, name: &str, value: String, now: DateTime<Utc>) {
        if !self.props.contains_key(name) {
            self.props.insert(name.to_string(), VecDeque::new());
        }
        let Some(hist) = self.props.get_mut(name) else {
            return;
        };
        if hist.len() >= PROPERTY_HISTORY_CAPACITY {
            hist.pop_front();
        }
        hist.push_back(HistEntry {
            value,
            timestamp: now,
        });
    }
}

mod defs;

pub(crate) use defs::Group;

/// Objects of one type plus its property definitions.
#[derive(Debug)]
pub(crate) struct TypeStore {
    /// Definitions writes are validated against; `None` for free-form types.
    pub schema: Option<Vec<PropDef>>,
    /// Definitions the type is described with (the schema, or the standard properties of a
    /// free-form type): read-only checks and date handling in search.
    defs: Vec<PropDef>,
    /// Position of each definition in `defs`, by name.
    def_index: HashMap<String, usize>,
    /// Names reads may ask for; `None` for free-form types, which answer any name.
    known: Option<Arc<HashSet<String>>>,
    pub objects: BTreeMap<u64, Arc<Object>>,
    /// property -> value -> id, for unique properties; only live objects.
    unique: HashMap<String, HashMap<String, u64>>,
    /// Properties archived through the Properties API, oldest first.
    archived_defs: Vec<PropDef>,
    /// Property groups, live and archived, in display order.
    groups: Vec<Group>,
}

impl TypeStore {
    /// The store of type `name`, with `extra_unique` as further unique-value properties.
    fn new(name: &str, extra_unique: &[String]) -> Self {
        let mut schema = schema::properties_for(name);
        let mut defs = match &schema {
            Some(s) => s.clone(),
            None => schema::describe(name),
        };
        for p in extra_unique {
            schema::add_unique(&mut defs, p);
            if let Some(s) = &mut schema {
                schema::add_unique(s, p);
            }
        }
        TypeStore::of(schema, defs)
    }

    /// The store of a type the account defined (schemas API): writes are checked against
    /// `defs`, which are also what it is described with.
    pub fn defined(defs: Vec<PropDef>) -> Self {
        TypeStore::of(Some(defs.clone()), defs)
    }

    fn of(schema: Option<Vec<PropDef>>, defs: Vec<PropDef>) -> Self {
        let unique = defs
            .iter()
            .filter(|p| p.unique)
            .map(|p| (p.name.to_string(), HashMap::new()))
            .collect();
        let def_index = defs
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i))
            .collect();
        let known = schema
            .as_ref()
            .map(|s| Arc::new(s.iter().map(|p| p.name.clone()).collect()));
        TypeStore {
            schema,
            groups: defs::initial_groups(&defs),
            defs,
            def_index,
            known,
            objects: BTreeMap::new(),
            unique,
            archived_defs: Vec::new(),
        }
    }

    /// The definition of a property, when the type describes it.
    pub fn prop(&self, name: &str) -> Option<&PropDef> {
        self.def_index.get(name).map(|&i| &self.defs[i])
    }

    /// Every definition the type is described with, as the Properties API lists them.
    pub fn defs(&self) -> &[PropDef] {
        &self.defs
    }

    fn is_unique(&self, name: &str) -> bool {
        self.unique.contains_key(name)
    }

    /// Checks a value written to `name` against the definitions the type holds (see
    /// [`values::check`]). Types with a schema refuse properties they do not define;
    /// free-form types take them as strings.
    fn check_value(&self, name: &str, value: &str) -> Result<(), Refusal> {
        match self.writable(name)? {
            Some(def) => values::check(def, value),
            None => Ok(()),
        }
    }

    /// Whether `name` can be written at all, whatever the value, and its definition if the
    /// type has one.
    fn writable(&self, name: &str) -> Result<Option<&PropDef>, Refusal> {
        let Some(def) = self.prop(name) else {
            return match self.schema {
                Some(_) => Err(Refusal {
                    message: format!("Property \"{name}\" does not exist"),
                    code: "PROPERTY_DOESNT_EXIST",
                }),
                None => Ok(None),
            };
        };
        // Read-only = `modificationMetadata.readOnlyValue` or `calculated` (hubspot-facts.md,
        // "Properties"); clearing one is refused too.
        if def.read_only || def.calculated {
            return Err(Refusal {
                message: format!("\"{name}\" is a read only property; its value cannot be set."),
                code: "READ_ONLY_VALUE",
            });
        }
        Ok(Some(def))
    }
}

/// Whether a search or a read by `idProperty` sees `obj` at `now`: HubSpot indexes a write
/// only after a while (`delay`), while reads by id and the unique index see it at once.
pub(crate) fn indexed(
    obj: &Object,
    delay: Option<std::time::Duration>,
    now: DateTime<Utc>,
) -> bool {
    match delay.and_then(|d| chrono::Duration::from_std(d).ok()) {
        Some(d) if !d.is_zero() => obj.updated_at + d <= now,
        _ => true,
    }
}

/// Normalises unique values; emails compare case-insensitively.
fn unique_key(prop: &str, value: &str) -> String {
    if prop == "email" {
        value.to_ascii_lowercase()
    } else {
        value.to_string()
    }
}

/// An association type as stored on an edge.
pub(crate) type AssocType = (Category, u32);

/// What a read returns, as asked for (names may repeat; [`Store::fields`] resolves them).
#[derive(Debug, Default, Clone)]
pub(crate) struct ReadOpts {
    /// `None` -> the type's default set.
    pub properties: Option<Vec<String>>,
    pub history: Vec<String>,
    /// Canonical type names.
    pub associations: Vec<String>,
}

/// Which properties an answer lists.
#[derive(Debug, Clone)]
pub(crate) enum PropSel {
    /// These, in this order, each once (already filtered to names the type knows).
    Listed(Vec<String>),
    /// The always-read properties, then every other property the object has.
    All,
}

/// What a read answers with, resolved once per request: each name once, names the type
/// does not know dropped. Holds no reference into the store, so answers can be serialized
/// after the store lock is released.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    pub otype: String,
    props: PropSel,
    /// Names the type knows; `None` for free-form types.
    known: Option<Arc<HashSet<String>>>,
    history: Vec<String>,
    associations: Vec<String>,
}

impl Fields {
    fn knows(&self, name: &str) -> bool {
        self.known.as_ref().is_none_or(|k| k.contains(name))
    }
}

/// Each name once, in first-seen order: linear in the number of names.
pub(crate) fn dedup(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = HashSet::new();
    names
        .into_iter()
        .filter(|n| seen.insert(n.clone()))
        .collect()
}

/// An object as a read answers it, copied out of the store: the object itself (shared) and
/// the associations the read asked for.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    pub obj: Arc<Object>,
    /// Per entry of [`Fields::associations`]: live targets by id and the types to each.
    assocs: Vec<Vec<(u64, Vec<AssocType>)>>,
    /// Extra top-level fields, e.g. `objectWriteTraceId` or `new` in batch answers.
    pub extra: Vec<(&'static str, Value)>,
}

impl Snapshot {
    /// An object without associations (searches never list them).
    pub fn of(obj: Arc<Object>) -> Self {
        Snapshot {
            obj,
            assocs: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// Adds a top-level field to the answer.
    pub fn with(mut self, key: &'static str, value: Value) -> Self {
        self.extra.push((key, value));
        self
    }
}

/// A validated association request from a create body.
#[derive(Debug, Clone)]
pub(crate) struct AssocInput {
    pub to_id: u64,
    pub types: Vec<AssocType>,
}

/// The writes of one batch so far, to take back when the batch is refused whole.
#[derive(Debug)]
pub(crate) struct Undo {
    /// The first id the batch's creates were handed.
    mark: u64,
    /// Objects as they were before the batch first updated them.
    before: Vec<(String, Arc<Object>)>,
}

/// The whole CRM.
#[derive(Debug)]
pub(crate) struct Store {
    next_id: u64,
    types: HashMap<String, TypeStore>,
    /// Ids are global, so an id alone names an object.
    id_types: HashMap<u64, String>,
    /// Symmetric: every edge is stored from both ends.
    assocs: HashMap<u64, BTreeMap<u64, Vec<AssocType>>>,
    /// Custom object types admitted on demand (named in a request without registration).
    on_demand_custom: BTreeSet<String>,
    /// Cap on `on_demand_custom`.
    max_custom_types: usize,
    /// The last write's time: every write is stamped at or after it.
    clock: DateTime<Utc>,
    /// The account's pipelines and stages, per type.
    pub pipelines: crate::pipelines::Pipelines,
    /// The account's owners.
    pub owners: Arc<crate::owners::AccountOwners>,
    /// Custom object schemas (schemas API), created or registered.
    pub schemas: crate::custom::Registry,
}

impl Default for Store {
    fn default() -> Self {
        Store::new(DEFAULT_MAX_CUSTOM_TYPES, &[])
    }
}

/// Custom object types a sandbox admits on demand unless configured otherwise.
pub(crate) const DEFAULT_MAX_CUSTOM_TYPES: usize = 64;

impl Store {
    /// An empty CRM that admits at most `max_custom_types` unregistered custom types, with
    /// `unique` (canonical type, property) as further unique-value properties.
    pub fn new(max_custom_types: usize, unique: &[(String, String)]) -> Self {
        let mut extra: HashMap<&str, Vec<String>> = HashMap::new();
        for (otype, name) in unique {
            extra.entry(otype).or_default().push(name.clone());
        }
        // Types with configured properties exist from the start (and so are never capped).
        let types = extra
            .into_iter()
            .map(|(otype, names)| (otype.to_string(), TypeStore::new(otype, &names)))
            .collect();
        Store {
            next_id: FIRST_ID,
            types,
            id_types: HashMap::new(),
            assocs: HashMap::new(),
            on_demand_custom: BTreeSet::new(),
            max_custom_types,
            clock: DateTime::<Utc>::MIN_UTC,
            pipelines: crate::pipelines::Pipelines::default(),
            owners: Arc::default(),
            schemas: crate::custom::Registry::default(),
        }
    }

    /// Moves the write clock to `t` if it is behind: as if the system clock had stepped
    /// back after a write at `t`.
    #[cfg(test)]
    pub fn clock_at_least(&mut self, t: DateTime<Utc>) {
        self.clock = self.clock.max(t);
    }

    /// The time of a write happening now, in milliseconds as HubSpot keeps them: never
    /// before the previous write's, even if the system clock steps back, so that the order
    /// of `hs_lastmodifieddate` is the order of the writes (ties are common).
    pub fn now(&mut self) -> DateTime<Utc> {
        let wall = Utc::now();
        let wall = DateTime::from_timestamp_millis(wall.timestamp_millis()).unwrap_or(wall);
        if wall > self.clock {
            self.clock = wall;
        }
        self.clock
    }

    /// Admits a custom object type named in a request without being registered, creating
    /// its store; past the cap, new ones are refused so that clients cannot grow the
    /// sandbox without bound.
    pub fn admit_custom(&mut self, otype: &str) -> ApiResult<()> {
        // Types in use (admitted before, or seeded) stay usable.
        if self.on_demand_custom.contains(otype) || self.types.contains_key(otype) {
            return Ok(());
        }
        if self.on_demand_custom.len() >= self.max_custom_types {
            let max = self.max_custom_types;
            return Err(ApiError::validation(format!(
                "Unable to use object type {otype}: this sandbox serves at most {max} custom object types that were not registered, and {max} are in use already."
            ))
            .with_context(json!({"objectType": [otype], "limit": [max.to_string()]})));
        }
        self.on_demand_custom.insert(otype.to_string());
        self.type_store(otype);
        Ok(())
    }

    pub fn type_store(&mut self, otype: &str) -> &mut TypeStore {
        self.types
            .entry(otype.to_string())
            .or_insert_with(|| TypeStore::new(otype, &[]))
    }

    /// Makes `otype` a type the account defined, with the store `ts` (no records yet).
    pub fn define_type(&mut self, otype: &str, ts: TypeStore) {
        self.types.insert(otype.to_string(), ts);
    }

    /// Custom object type ids (`2-N`) that have a store: registered, defined or admitted.
    pub fn custom_type_ids(&self) -> impl Iterator<Item = &str> {
        self.types
            .keys()
            .map(String::as_str)
            .filter(|t| schema::is_custom(t))
    }

    /// How many live records of `otype` there are.
    pub fn live_records(&self, otype: &str) -> usize {
        self.types.get(otype).map_or(0, |ts| {
            ts.objects.values().filter(|o| !o.archived()).count()
        })
    }

    pub fn type_store_ref(&self, otype: &str) -> Option<&TypeStore> {
        self.types.get(otype)
    }

    /// Type of an object id, archived or not.
    pub fn type_of(&self, id: u64) -> Option<&str> {
        self.id_types.get(&id).map(String::as_str)
    }

    pub fn get(&self, otype: &str, id: u64) -> Option<&Object> {
        self.types.get(otype)?.objects.get(&id).map(|o| &**o)
    }

    /// The shared object, for answers built outside the lock.
    pub fn get_arc(&self, otype: &str, id: u64) -> Option<&Arc<Object>> {
        self.types.get(otype)?.objects.get(&id)
    }

    /// A live (not archived) object by id.
    pub fn live(&self, otype: &str, id: u64) -> Option<&Object> {
        self.get(otype, id).filter(|o| !o.archived())
    }

    /// Whether an id names a live object of any type.
    pub fn live_any(&self, id: u64) -> Option<&str> {
        let t = self.type_of(id)?;
        self.live(t, id).map(|_| t)
    }

    /// Resolves an id or unique property value to an object id.
    pub fn resolve(
        &mut self,
        otype: &str,
        raw: &str,
        id_property: Option<&str>,
        archived: bool,
    ) -> ApiResult<Option<u64>> {
        let ts = self.type_store(otype);
        match id_property {
            None | Some("") | Some("hs_object_id") => Ok(raw
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|id| ts.objects.get(id).is_some_and(|o| o.archived() == archived))),
            Some(p) => {
                if !ts.is_unique(p) {
                    return Err(ApiError::validation(format!(
                        "{p} is not a unique property. Use a property with unique values as idProperty."
                    )));
                }
                if archived {
                    return Ok(ts
                        .objects
                        .values()
                        .find(|o| o.archived() && o.get(p) == Some(raw))
                        .map(|o| o.id));
                }
                Ok(ts.unique[p].get(&unique_key(p, raw)).copied())
            }
        }
    }

    /// Converts and validates a `properties` map for a write.
    pub fn validate_props(
        &mut self,
        otype: &str,
        input: Option<&Value>,
        exclude_id: Option<u64>,
    ) -> ApiResult<Vec<(String, String)>> {
        let map = match input {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Err(ApiError::validation(
                    "Invalid input JSON: properties must be an object of property names to values",
                ));
            }
        };
        let account = crate::account::AccountCheck::new(self, otype, map, exclude_id);
        let ts = self.type_store(otype);
        let mut out = Vec::with_capacity(map.len());
        let mut bad: Vec<(String, String, &str)> = Vec::new();
        for (name, value) in map {
            let value = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                _ => {
                    bad.push((
                        name.clone(),
                        format!("{value} is not a valid value for property \"{name}\""),
                        "INVALID_PROPERTY_VALUE",
                    ));
                    continue;
                }
            };
            let checked = match account.check(name, &value) {
                Some(verdict) => ts.writable(name).and(verdict),
                None => ts.check_value(name, &value),
            };
            match checked {
                Ok(()) => out.push((name.clone(), value)),
                Err(r) => bad.push((name.clone(), r.message, r.code)),
            }
        }
        if !bad.is_empty() {
            return Err(property_error(&bad));
        }
        // Unique values must not collide with another live object.
        for (name, value) in &out {
            if value.is_empty() || !ts.is_unique(name) {
                continue;
            }
            if let Some(&other) = ts.unique[name].get(&unique_key(name, value))
                && Some(other) != exclude_id
            {
                return Err(conflict(otype, other));
            }
        }
        Ok(out)
    }

    /// Parses and checks create-time associations.
    pub fn validate_assocs(
        &self,
        from_type: &str,
        input: Option<&Value>,
    ) -> ApiResult<Vec<AssocInput>> {
        let empty = Vec::new();
        let list = match input {
            None | Some(Value::Null) => &empty,
            Some(Value::Array(a)) => a,
            Some(_) => {
                return Err(ApiError::validation(
                    "Invalid input JSON: associations must be a list",
                ));
            }
        };
        let mut out = Vec::new();
        for item in list {
            let raw_id = item.get("to").and_then(|t| t.get("id"));
            let to_id = raw_id.and_then(id_value).ok_or_else(|| {
                ApiError::validation("Invalid input JSON: each association needs to.id")
            })?;
            let types = parse_assoc_types(item.get("types"))?;
            if types.is_empty() {
                return Err(ApiError::validation(
                    "Invalid input JSON: each association needs at least one type",
                ));
            }
            // The target type comes from the type definition when known, else from the id.
            let target_type = match self.live_any(to_id) {
                Some(t) => t.to_string(),
                None => {
                    return Err(invalid_assoc(
                        format!("The object with id {to_id} to associate with does not exist."),
                        "ASSOCIATION_TARGET_NOT_FOUND",
                    ));
                }
            };
            for &(cat, tid) in &types {
                check_assoc_type(from_type, &target_type, cat, tid)?;
            }
            out.push(AssocInput { to_id, types });
        }
        if from_type == "leads" {
            let has_contact = out.iter().any(|a| {
                self.type_of(a.to_id) == Some("contacts")
                    && a.types
                        .iter()
                        .any(|(_, t)| *t == LEAD_PRIMARY_CONTACT || *t == LEAD_CONTACT)
            });
            if !has_contact {
                return Err(ApiError::validation(
                    "A lead must be associated with an existing contact (association type 578 or 608) when it is created.",
                )
                .with_errors(&[Detail {
                    message: "Missing association to a contact".into(),
                    code: Some("MISSING_REQUIRED_ASSOCIATION".into()),
                    context: Some(json!({"associationTypeId": ["578", "608"]})),
                }]));
            }
        }
        Ok(out)
    }

    /// Inserts a new object; `props` must be validated.
    pub fn insert(&mut self, otype: &str, props: Vec<(String, String)>) -> u64 {
        let now = self.now();
        let id = self.next_id;
        self.next_id += 1;
        let mut obj = Object {
            id,
            props: HashMap::with_capacity(props.len() + 4),
            created_at: now,
            updated_at: now,
            archived_at: None,
        };
        let stamp = fmt_time(now);
        obj.set("hs_object_id", id.to_string(), now);
        obj.set("hs_createdate", stamp.clone(), now);
        obj.set("hs_lastmodifieddate", stamp.clone(), now);
        match otype {
            "contacts" | "companies" => {
                obj.set("createdate", stamp.clone(), now);
                obj.set("lastmodifieddate", stamp, now);
            }
            "deals" | "tickets" => obj.set("createdate", stamp, now),
            "leads" => {
                for (name, value) in self.pipelines.lead_defaults(&props) {
                    obj.set(name, value, now);
                }
            }
            _ => {}
        }
        for (k, v) in props {
            obj.set(&k, v, now);
        }
        let ts = self.type_store(otype);
        for (prop, index) in ts.unique.iter_mut() {
            if let Some(v) = obj.get(prop).filter(|v| !v.is_empty()) {
                index.insert(unique_key(prop, v), id);
            }
        }
        ts.objects.insert(id, Arc::new(obj));
        self.id_types.insert(id, otype.to_string());
        id
    }

    /// A log to undo the writes that follow (in this lock, by the caller) with
    /// [`Store::undo`]: creates are undone by id, updates by what [`Store::remember`] kept.
    pub fn undo_log(&self) -> Undo {
        Undo {
            mark: self.next_id,
            before: Vec::new(),
        }
    }

    /// Keeps object `id` as it is now, before an update that `undo` may have to take back;
    /// only its state before the first update counts. Objects created since the log began
    /// need nothing kept: undoing removes them.
    pub fn remember(&self, undo: &mut Undo, otype: &str, id: u64) {
        if id >= undo.mark || undo.before.iter().any(|(_, o)| o.id == id) {
            return;
        }
        if let Some(obj) = self.get_arc(otype, id) {
            undo.before.push((otype.to_string(), obj.clone()));
        }
    }

    /// Takes back the writes logged in `undo`: what was created is removed (see
    /// [`Store::discard_since`]) and what was updated is put back as it was, with its unique
    /// values. Only the write clock stays where it is.
    pub fn undo(&mut self, undo: Undo) {
        self.discard_since(undo.mark);
        for (otype, old) in undo.before.into_iter().rev() {
            let ts = self.type_store(&otype);
            let id = old.id;
            if let Some(current) = ts.objects.get(&id).cloned() {
                for (prop, index) in ts.unique.iter_mut() {
                    if let Some(v) = current.get(prop) {
                        let key = unique_key(prop, v);
                        if index.get(&key) == Some(&id) {
                            index.remove(&key);
                        }
                    }
                }
            }
            if !old.archived() {
                for (prop, index) in ts.unique.iter_mut() {
                    if let Some(v) = old.get(prop).filter(|v| !v.is_empty()) {
                        index.insert(unique_key(prop, v), id);
                    }
                }
            }
            ts.objects.insert(id, old);
        }
    }

    /// Removes every object created since `mark` (in this lock, by the caller), with its
    /// unique values and associations, and hands their ids out again: as if the creates never
    /// happened. Creating objects only adds edges, so removing those restores the rest.
    fn discard_since(&mut self, mark: u64) {
        // Ids are handed out in order, so the creates are exactly `mark..next_id`.
        let created = mark..self.next_id;
        for id in created {
            let Some(otype) = self.id_types.remove(&id) else {
                continue;
            };
            if let Some(ts) = self.types.get_mut(&otype)
                && let Some(obj) = ts.objects.remove(&id)
            {
                for (prop, index) in ts.unique.iter_mut() {
                    if let Some(v) = obj.get(prop) {
                        let key = unique_key(prop, v);
                        if index.get(&key) == Some(&id) {
                            index.remove(&key);
                        }
                    }
                }
            }
            for (to, _) in self.assocs.remove(&id).unwrap_or_default() {
                if let Some(m) = self.assocs.get_mut(&to) {
                    m.remove(&id);
                    if m.is_empty() {
                        self.assocs.remove(&to);
                    }
                }
            }
        }
        self.next_id = self.next_id.min(mark);
    }

    /// Applies validated properties to a live object.
    pub fn update(&mut self, otype: &str, id: u64, props: Vec<(String, String)>) {
        let now = self.now();
        let ts = self.type_store(otype);
        let Some(obj) = ts.objects.get_mut(&id) else {
            return;
        };
        let obj = Arc::make_mut(obj);
        for (k, v) in props {
            if let Some(index) = ts.unique.get_mut(&k) {
                if let Some(old) = obj.get(&k) {
                    index.remove(&unique_key(&k, old));
                }
                if !v.is_empty() {
                    index.insert(unique_key(&k, &v), id);
                }
            }
            obj.set(&k, v, now);
        }
        touch(otype, obj, now);
    }

    /// Moves an object to the recycle bin. Leads left without a primary contact follow.
    pub fn archive(&mut self, otype: &str, id: u64) {
        let now = self.now();
        let ts = self.type_store(otype);
        let Some(obj) = ts.objects.get_mut(&id) else {
            return;
        };
        if obj.archived() {
            return;
        }
        let obj = Arc::make_mut(obj);
        obj.archived_at = Some(now);
        touch(otype, obj, now);
        for (prop, index) in ts.unique.iter_mut() {
            if let Some(v) = obj.get(prop) {
                let key = unique_key(prop, v);
                if index.get(&key) == Some(&id) {
                    index.remove(&key);
                }
            }
        }
        if otype == "contacts" {
            let leads: Vec<u64> = self
                .assocs
                .get(&id)
                .map(|m| {
                    m.iter()
                        .filter(|(_, ts)| ts.iter().any(|(_, t)| *t == CONTACT_PRIMARY_LEAD))
                        .map(|(l, _)| *l)
                        .collect()
                })
                .unwrap_or_default();
            for lead in leads {
                self.check_lead_primary(lead);
            }
        }
    }

    /// Adds an association and its reverse.
    pub fn associate(&mut self, from: u64, to: u64, cat: Category, type_id: u32) {
        let (Some(ft), Some(tt)) = (self.type_of(from), self.type_of(to)) else {
            return;
        };
        let rev = schema::assoc_def(ft, tt, type_id)
            .map(|d| {
                (
                    schema::assoc_def(tt, ft, d.reverse)
                        .map(|r| r.category)
                        .unwrap_or(cat),
                    d.reverse,
                )
            })
            .unwrap_or((cat, type_id));
        add_edge(&mut self.assocs, from, to, (cat, type_id));
        add_edge(&mut self.assocs, to, from, rev);
    }

    /// Removes one association type (or all when `which` is `None`) between a pair, both ways.
    /// Returns whether anything was removed.
    pub fn dissociate(&mut self, from: u64, to: u64, which: Option<u32>) -> bool {
        let (Some(ft), Some(tt)) = (self.type_of(from), self.type_of(to)) else {
            return false;
        };
        let (ft, tt) = (ft.to_string(), tt.to_string());
        let removed: Vec<AssocType> = match which {
            None => self
                .assocs
                .get_mut(&from)
                .and_then(|m| m.remove(&to))
                .unwrap_or_default(),
            Some(t) => remove_edge(&mut self.assocs, from, to, t)
                .into_iter()
                .collect(),
        };
        if removed.is_empty() {
            return false;
        }
        let reverse: Vec<AssocType> = match which {
            None => self
                .assocs
                .get_mut(&to)
                .and_then(|m| m.remove(&from))
                .unwrap_or_default(),
            Some(_) => removed
                .iter()
                .filter_map(|(_, t)| {
                    let rev = schema::assoc_def(&ft, &tt, *t)
                        .map(|d| d.reverse)
                        .unwrap_or(*t);
                    remove_edge(&mut self.assocs, to, from, rev)
                })
                .collect(),
        };
        // Only losing a primary-contact edge can orphan a lead.
        let lost_primary = |types: &[AssocType]| {
            types
                .iter()
                .any(|(_, t)| *t == LEAD_PRIMARY_CONTACT || *t == CONTACT_PRIMARY_LEAD)
        };
        if ft == "leads" && lost_primary(&removed) {
            self.check_lead_primary(from);
        }
        if tt == "leads" && lost_primary(&reverse) {
            self.check_lead_primary(to);
        }
        true
    }

    /// HubSpot deletes a lead that no longer has a primary contact.
    fn check_lead_primary(&mut self, lead: u64) {
        if self.live("leads", lead).is_none() {
            return;
        }
        let has_primary = self.assocs.get(&lead).is_some_and(|m| {
            m.iter().any(|(to, ts)| {
                ts.iter().any(|(_, t)| *t == LEAD_PRIMARY_CONTACT)
                    && self.live("contacts", *to).is_some()
            })
        });
        if !has_primary {
            self.archive("leads", lead);
        }
    }

    /// Live associations of an object to objects of one type, ordered by target id.
    pub fn assocs_to<'a>(
        &'a self,
        from: u64,
        to_type: &'a str,
        after: u64,
    ) -> impl Iterator<Item = (u64, &'a [AssocType])> + 'a {
        self.assocs
            .get(&from)
            .into_iter()
            .flat_map(move |m| m.range(after..))
            .filter(move |(to, types)| !types.is_empty() && self.live(to_type, **to).is_some())
            .map(|(to, types)| (*to, types.as_slice()))
    }

    /// Association types stored between a pair.
    pub fn assoc_types_between(&self, from: u64, to: u64) -> Vec<AssocType> {
        self.assocs
            .get(&from)
            .and_then(|m| m.get(&to))
            .cloned()
            .unwrap_or_default()
    }

    /// Resolves what a read of `otype` asked for: names de-duplicated with a set (linear in
    /// the number of names, however often they repeat) and unknown ones dropped.
    pub fn fields(&self, otype: &str, opts: &ReadOpts) -> Fields {
        let ts = self.types.get(otype);
        let known = match ts {
            Some(t) => t.known.clone(),
            None => schema::properties_for(otype)
                .map(|s| Arc::new(s.into_iter().map(|p| p.name).collect())),
        };
        let knows = |n: &str| known.as_ref().is_none_or(|k| k.contains(n));
        let props = match &opts.properties {
            None => PropSel::Listed(
                schema::default_read_props(otype)
                    .iter()
                    .map(|n| (*n).to_string())
                    .collect(),
            ),
            Some(list) => {
                let always = schema::always_read_props(otype)
                    .iter()
                    .map(|n| (*n).to_string());
                let asked = list.iter().filter(|n| knows(n)).cloned();
                PropSel::Listed(dedup(always.chain(asked)))
            }
        };
        let history = dedup(opts.history.iter().filter(|n| knows(n)).cloned());
        Fields {
            otype: otype.to_string(),
            props,
            history,
            associations: dedup(opts.associations.iter().cloned()),
            known,
        }
    }

    /// Like [`Store::fields`], listing every property each object has.
    pub fn all_fields(&self, otype: &str) -> Fields {
        let mut f = self.fields(otype, &ReadOpts::default());
        f.props = PropSel::All;
        f
    }

    /// Copies what `fields` needs of an object out of the store: the object (shared) and the
    /// requested associations. Cheap; the answer is built from it without the lock.
    pub fn snapshot(&self, fields: &Fields, obj: &Arc<Object>) -> Snapshot {
        let assocs = fields
            .associations
            .iter()
            .map(|to_type| {
                self.assocs_to(obj.id, to_type, 0)
                    .map(|(to, types)| (to, types.to_vec()))
                    .collect()
            })
            .collect();
        Snapshot {
            obj: obj.clone(),
            assocs,
            extra: Vec::new(),
        }
    }

    /// [`Store::snapshot`] of an object by id.
    pub fn snapshot_of(&self, fields: &Fields, id: u64) -> Option<Snapshot> {
        let obj = self.get_arc(&fields.otype, id)?;
        Some(self.snapshot(fields, obj))
    }

    /// Live associations of an object to one type, copied out: target id and types.
    pub fn assoc_list(&self, from: u64, to_type: &str, after: u64) -> Vec<(u64, Vec<AssocType>)> {
        self.assocs_to(from, to_type, after)
            .map(|(to, types)| (to, types.to_vec()))
            .collect()
    }
}

/// The v3 name of an association type (`lead_to_primary_contact`, ...).
pub(crate) fn v3_assoc_name(otype: &str, to_type: &str, type_id: u32) -> String {
    schema::assoc_def(otype, to_type, type_id)
        .map(|d| d.name.to_string())
        .unwrap_or_else(|| {
            format!(
                "{}_to_{}",
                schema::singular(otype),
                schema::singular(to_type)
            )
        })
}

/// `[{id, type}]` entries of the v3 association shape, from copied edges.
pub(crate) fn v3_assoc_results(
    otype: &str,
    to_type: &str,
    edges: &[(u64, Vec<AssocType>)],
) -> Vec<Value> {
    edges
        .iter()
        .flat_map(|(to, types)| {
            types.iter().map(move |(_, t)| {
                json!({"id": to.to_string(), "type": v3_assoc_name(otype, to_type, *t)})
            })
        })
        .collect()
}

fn add_edge(
    map: &mut HashMap<u64, BTreeMap<u64, Vec<AssocType>>>,
    from: u64,
    to: u64,
    t: AssocType,
) {
    let list = map.entry(from).or_default().entry(to).or_default();
    if !list.iter().any(|(_, id)| *id == t.1) {
        list.push(t);
    }
}

fn remove_edge(
    map: &mut HashMap<u64, BTreeMap<u64, Vec<AssocType>>>,
    from: u64,
    to: u64,
    type_id: u32,
) -> Option<AssocType> {
    let m = map.get_mut(&from)?;
    let list = m.get_mut(&to)?;
    let pos = list.iter().position(|(_, t)| *t == type_id)?;
    let removed = list.remove(pos);
    if list.is_empty() {
        m.remove(&to);
    }
    Some(removed)
}

/// An id given as a JSON string or number.
pub(crate) fn id_value(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// Parses `[{associationCategory, associationTypeId}]`.
pub(crate) fn parse_assoc_types(v: Option<&Value>) -> ApiResult<Vec<AssocType>> {
    let Some(Value::Array(list)) = v else {
        return Err(ApiError::validation(
            "Invalid input JSON: association types must be a list of {associationCategory, associationTypeId}",
        ));
    };
    list.iter()
        .map(|t| {
            let cat = t
                .get("associationCategory")
                .and_then(Value::as_str)
                .and_then(Category::parse)
                .ok_or_else(|| {
                    ApiError::validation(
                        "Invalid input JSON: associationCategory must be one of HUBSPOT_DEFINED, USER_DEFINED, INTEGRATOR_DEFINED",
                    )
                })?;
            let tid = t
                .get("associationTypeId")
                .and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| ApiError::validation("Invalid input JSON: associationTypeId must be an integer"))?;
            Ok((cat, tid))
        })
        .collect()
}

/// Checks that an association type exists for a pair of types.
pub(crate) fn check_assoc_type(from: &str, to: &str, cat: Category, tid: u32) -> ApiResult<()> {
    if let Some(d) = schema::assoc_def(from, to, tid) {
        if d.category == cat {
            return Ok(());
        }
    } else if !schema::pair_is_defined(from, to) && schema::assoc_def_from(from, tid).is_none() {
        // Pairs the sandbox has no table for accept any type id.
        return Ok(());
    }
    Err(invalid_assoc(
        format!(
            "{cat} {tid} is not a valid association type between {} and {}.",
            schema::singular(from),
            schema::singular(to),
            cat = cat.as_str()
        ),
        "INVALID_ASSOCIATION_TYPE",
    ))
}

fn invalid_assoc(message: String, code: &str) -> ApiError {
    ApiError::validation(message.clone()).with_errors(&[Detail {
        message,
        code: Some(code.into()),
        context: None,
    }])
}

/// Stamps a write on an object: `updatedAt` and the last-modified properties.
fn touch(otype: &str, obj: &mut Object, now: DateTime<Utc>) {
    obj.updated_at = now;
    let stamp = fmt_time(now);
    obj.set("hs_lastmodifieddate", stamp.clone(), now);
    if otype == "contacts" || otype == "companies" {
        obj.set("lastmodifieddate", stamp, now);
    }
}

/// How the repeated-value message names a record of `otype`.
fn record_name(otype: &str) -> String {
    if schema::is_custom(otype) {
        format!("{otype} record")
    } else {
        schema::singular(otype)
    }
}

/// HubSpot's 409 for a unique value that another live record (`other`) holds: "Contact
/// already exists. Existing ID: 12345" (hubspot-facts.md, "Batch writes as HubSpot answers
/// them"), for every type. `context.id` is the sandbox's own addition for single writes and
/// per-input errors; a batch refused whole answers the bare body.
fn conflict(otype: &str, other: u64) -> ApiError {
    let message = format!(
        "{} already exists. Existing ID: {other}",
        schema::label(otype)
    );
    ApiError::conflict(message)
        .with_context(json!({"id": [other.to_string()]}))
        .bare_when_refusing_batch()
}

/// One entry of the list in HubSpot's "Property values were not valid: [...]" message, in
/// HubSpot's key order.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ValidationResult<'a> {
    is_valid: bool,
    message: &'a str,
    error: &'a str,
    name: &'a str,
    localized_error_message: &'a str,
}

/// HubSpot's 400 for refused values: the message lists each property with its error code
/// (hubspot-facts.md, "Batch writes as HubSpot answers them"); `errors[]` with
/// `context.propertyName` is the sandbox's addition for single writes and per-input errors.
pub(crate) fn property_error(bad: &[(String, String, &str)]) -> ApiError {
    let results: Vec<ValidationResult> = bad
        .iter()
        .map(|(name, message, code)| ValidationResult {
            is_valid: false,
            message,
            error: code,
            name,
            localized_error_message: message,
        })
        .collect();
    let listed = serde_json::to_string(&results).unwrap_or_default();
    let details: Vec<Detail> = bad
        .iter()
        .map(|(name, msg, code)| Detail {
            message: msg.clone(),
            code: Some((*code).to_string()),
            context: Some(json!({"propertyName": [name]})),
        })
        .collect();
    ApiError::validation(format!("Property values were not valid: {listed}"))
        .with_errors(&details)
        .bare_when_refusing_batch()
}

impl Store {
    /// Takes an archived object out of the recycle bin, as a user does in HubSpot's UI,
    /// stamping it as modified. A unique value another live record took meanwhile is a
    /// conflict, and the object stays archived.
    pub fn restore(&mut self, otype: &str, id: u64) -> ApiResult<()> {
        let now = self.now();
        let ts = self.type_store(otype);
        let Some(obj) = ts.objects.get_mut(&id).filter(|o| o.archived()) else {
            return Err(ApiError::not_found_object());
        };
        for (prop, index) in &ts.unique {
            if let Some(v) = obj.get(prop).filter(|v| !v.is_empty())
                && let Some(&other) = index.get(&unique_key(prop, v))
            {
                return Err(conflict(otype, other));
            }
        }
        let obj = Arc::make_mut(obj);
        obj.archived_at = None;
        touch(otype, obj, now);
        for (prop, index) in ts.unique.iter_mut() {
            if let Some(v) = obj.get(prop).filter(|v| !v.is_empty()) {
                index.insert(unique_key(prop, v), id);
            }
        }
        Ok(())
    }

    /// A 409 when two inputs of one batch write carry the same value of a unique property:
    /// the batch is refused whole, trace ids or not, so that none of it is written. HubSpot's
    /// answer is not documented; like its whole-batch refusals, the message names the
    /// property and the value, never the inputs.
    pub fn repeated_unique(&self, otype: &str, inputs: &[Value]) -> ApiResult<()> {
        let Some(ts) = self.types.get(otype) else {
            return Ok(());
        };
        let mut seen: HashSet<(&str, String)> = HashSet::new();
        for input in inputs {
            let Some(Value::Object(props)) = input.get("properties") else {
                continue;
            };
            for (name, value) in props {
                let Some(value) = crate::api::scalar_string(value).filter(|v| !v.is_empty()) else {
                    continue;
                };
                if ts.is_unique(name) && !seen.insert((name, unique_key(name, &value))) {
                    return Err(ApiError::conflict(format!(
                        "A {} with {name} \"{value}\" is in more than one input of this batch.",
                        record_name(otype)
                    ))
                    .with_context(json!({"propertyName": [name]})));
                }
            }
        }
        Ok(())
    }

    /// Types of the live objects an object is associated with.
    pub fn assoc_target_types(&self, from: u64) -> std::collections::BTreeSet<String> {
        self.assocs
            .get(&from)
            .into_iter()
            .flat_map(|m| m.keys())
            .filter_map(|to| self.live_any(*to))
            .map(str::to_string)
            .collect()
    }
}

/// An object answer in HubSpot's shape, serialized straight from a [`Snapshot`]: no
/// intermediate `Value` tree and no store lock.
pub(crate) struct ObjectOut<'a> {
    pub fields: &'a Fields,
    pub snap: &'a Snapshot,
}

impl serde::Serialize for ObjectOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (f, obj) = (self.fields, &*self.snap.obj);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &obj.id.to_string())?;
        m.serialize_entry("properties", &PropsOut(self))?;
        m.serialize_entry("createdAt", &fmt_time(obj.created_at))?;
        m.serialize_entry("updatedAt", &fmt_time(obj.updated_at))?;
        m.serialize_entry("archived", &obj.archived())?;
        if let Some(at) = obj.archived_at {
            m.serialize_entry("archivedAt", &fmt_time(at))?;
        }
        if !f.history.is_empty() {
            m.serialize_entry("propertiesWithHistory", &HistoryOut(self))?;
        }
        let has_assocs = self.snap.assocs.iter().any(|a| !a.is_empty());
        if has_assocs {
            m.serialize_entry("associations", &AssocsOut(self))?;
        }
        for (k, v) in &self.snap.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

struct PropsOut<'v, 'a>(&'v ObjectOut<'a>);

impl serde::Serialize for PropsOut<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (f, obj) = (self.0.fields, &*self.0.snap.obj);
        let mut m = s.serialize_map(None)?;
        match &f.props {
            PropSel::Listed(names) => {
                for n in names {
                    m.serialize_entry(n, &obj.get(n))?;
                }
            }
            PropSel::All => {
                let always = schema::always_read_props(&f.otype);
                for n in always {
                    m.serialize_entry(n, &obj.get(n))?;
                }
                for n in obj.props.keys() {
                    if !always.contains(&n.as_str()) && f.knows(n) {
                        m.serialize_entry(n, &obj.get(n))?;
                    }
                }
            }
        }
        m.end()
    }
}

struct HistoryOut<'v, 'a>(&'v ObjectOut<'a>);

impl serde::Serialize for HistoryOut<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        struct Entries<'o>(&'o Object, &'o str);
        impl serde::Serialize for Entries<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(None)?;
                for e in self.0.history(self.1) {
                    seq.serialize_element(&json!({
                        "value": e.value,
                        "timestamp": fmt_time(e.timestamp),
                        "sourceType": "API",
                    }))?;
                }
                seq.end()
            }
        }
        let (f, obj) = (self.0.fields, &*self.0.snap.obj);
        let mut m = s.serialize_map(Some(f.history.len()))?;
        for n in &f.history {
            m.serialize_entry(n, &Entries(obj, n))?;
        }
        m.end()
    }
}

struct AssocsOut<'v, 'a>(&'v ObjectOut<'a>);

impl serde::Serialize for AssocsOut<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let f = self.0.fields;
        let mut m = s.serialize_map(None)?;
        for (to_type, edges) in f.associations.iter().zip(&self.0.snap.assocs) {
            if !edges.is_empty() {
                let results = v3_assoc_results(&f.otype, to_type, edges);
                m.serialize_entry(to_type, &json!({"results": results}))?;
            }
        }
        m.end()
    }
}

/// A list of object answers sharing one [`Fields`].
pub(crate) struct ObjectsOut<'a> {
    pub fields: &'a Fields,
    pub snaps: &'a [Snapshot],
}

impl serde::Serialize for ObjectsOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.snaps.iter().map(|snap| ObjectOut {
            fields: self.fields,
            snap,
        }))
    }
}
