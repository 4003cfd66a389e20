//! Schemas several specs define alike, generated once.
//!
//! HubSpot's specs each carry their own copy of the CRM schemas (`SimplePublicObject`,
//! `Error`, `Paging`, ...). A schema with the same name and the same normalized definition in
//! two or more modules becomes one type in the `shared` module, and those modules use it
//! instead of generating their own. A name defined differently stays local to each module that
//! defines it so; nothing is merged on the name alone.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

/// What is shared, and by whom.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SharedSchemas {
    /// Each shared schema by name, as the modules define it.
    pub schemas: BTreeMap<String, Value>,
    /// For each module, the shared names it uses instead of its own.
    pub users: BTreeMap<String, BTreeSet<String>>,
}

impl SharedSchemas {
    /// The shared names `module` takes.
    pub fn used_by(&self, module: &str) -> impl Iterator<Item = &str> {
        self.users
            .get(module)
            .into_iter()
            .flat_map(|names| names.iter().map(String::as_str))
    }

    /// A spec holding only the shared schemas, for generating their types.
    pub fn as_spec(&self) -> Value {
        json!({
            "openapi": "3.0.1",
            "info": { "title": "shared", "version": "1" },
            "paths": {},
            "components": { "schemas": self.schemas },
        })
    }
}

/// Finds the schemas to share among `specs` (module name and normalized spec, in manifest
/// order).
///
/// A name is shared by the largest group of modules defining it identically (the first such
/// group on a tie), when that group has at least two modules and every schema it refers to is
/// shared by the same modules. A module whose definition differs keeps its own type.
pub fn find(specs: &[(String, Value)]) -> SharedSchemas {
    // name -> groups of (schema, modules defining it so), in first-seen order.
    let mut by_name: BTreeMap<String, Vec<(Value, BTreeSet<String>)>> = BTreeMap::new();
    for (module, spec) in specs {
        let Some(schemas) = spec
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        else {
            continue;
        };
        for (name, schema) in schemas {
            let groups = by_name.entry(name.clone()).or_default();
            match groups.iter_mut().find(|(s, _)| s == schema) {
                Some((_, modules)) => {
                    modules.insert(module.clone());
                }
                None => groups.push((schema.clone(), BTreeSet::from([module.clone()]))),
            }
        }
    }
    let order: BTreeMap<&str, usize> = specs
        .iter()
        .enumerate()
        .map(|(i, (m, _))| (m.as_str(), i))
        .collect();
    let first =
        |modules: &BTreeSet<String>| modules.iter().map(|m| order[m.as_str()]).min().unwrap_or(0);
    let mut candidates: BTreeMap<String, (Value, BTreeSet<String>)> = BTreeMap::new();
    for (name, groups) in by_name {
        let best = groups.into_iter().max_by(|(_, a), (_, b)| {
            // Most modules wins; among equals, the group seen first (max_by keeps the last).
            a.len().cmp(&b.len()).then(first(b).cmp(&first(a)))
        });
        if let Some((schema, modules)) = best
            && modules.len() >= 2
        {
            candidates.insert(name, (schema, modules));
        }
    }
    // A shared schema may only refer to schemas shared by the same modules; drop modules (and
    // then names) until that holds.
    loop {
        let mut changed = false;
        let snapshot: BTreeMap<String, BTreeSet<String>> = candidates
            .iter()
            .map(|(name, (_, modules))| (name.clone(), modules.clone()))
            .collect();
        for (schema, modules) in candidates.values_mut() {
            let mut refs = BTreeSet::new();
            schema_refs(schema, &mut refs);
            let before = modules.len();
            modules.retain(|module| {
                refs.iter()
                    .all(|r| snapshot.get(r).is_some_and(|users| users.contains(module)))
            });
            changed |= modules.len() != before;
        }
        let before = candidates.len();
        candidates.retain(|_, (_, modules)| modules.len() >= 2);
        changed |= candidates.len() != before;
        if !changed {
            break;
        }
    }
    let mut shared = SharedSchemas::default();
    for (name, (schema, modules)) in candidates {
        for module in modules {
            shared.users.entry(module).or_default().insert(name.clone());
        }
        shared.schemas.insert(name, schema);
    }
    shared
}

/// Names of the component schemas `value` refers to.
fn schema_refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.insert(name.to_owned());
            }
            map.values().for_each(|v| schema_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| schema_refs(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
