//! Schemas several specs define alike, generated once.
//!
//! HubSpot's specs each carry their own copy of the CRM schemas (`SimplePublicObject`,
//! `Error`, `Paging`, ...). A schema with the same name and the same normalized definition in
//! two or more modules becomes one type, and those modules use it instead of generating their
//! own. A name may be defined alike by several groups of modules (the v4 associations open an
//! enum the object specs keep closed): the largest group's type is `shared::Name`, each other
//! group's is `shared::<module>::Name`, after the group's first module. Nothing is merged on
//! the name alone.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

/// Where a shared type is generated.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Place {
    /// `hubspot_crm_api::shared` itself: the largest group of modules defining a name alike.
    Root,
    /// `hubspot_crm_api::shared::<module>`: another group, named after its first module.
    Sub(String),
}

impl Place {
    /// The submodule of `shared` this is, if any.
    pub fn submodule(&self) -> Option<&str> {
        match self {
            Place::Root => None,
            Place::Sub(module) => Some(module),
        }
    }

    /// Where type `name` of this place is, from any crate that depends on `hubspot-crm-api`
    /// (the crate names itself the same way).
    pub fn path(&self, name: &str) -> String {
        match self {
            Place::Root => format!("::hubspot_crm_api::shared::{name}"),
            Place::Sub(module) => format!("::hubspot_crm_api::shared::{module}::{name}"),
        }
    }
}

/// One shared schema and the modules that use it.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// The schema, as each of the modules defines it.
    pub schema: Value,
    /// The modules using it, in manifest order.
    pub modules: Vec<String>,
}

/// What is shared, where, and by whom.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SharedSchemas {
    /// The shared schemas of each place, by name.
    pub places: BTreeMap<Place, BTreeMap<String, Placement>>,
    /// For each module, the shared names it uses instead of its own, and where each is.
    pub users: BTreeMap<String, BTreeMap<String, Place>>,
    /// Every module looked at, in manifest order.
    pub modules: Vec<String>,
}

/// The spec to generate one place's types from.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceSpec {
    /// The place's schemas, and the schemas of other places they refer to (directly or not)
    /// under alias names, so that every `$ref` resolves.
    pub spec: Value,
    /// Alias name to the place and name of the schema it stands for; the generator must use
    /// that place's type for it.
    pub aliases: BTreeMap<String, (Place, String)>,
}

impl SharedSchemas {
    /// The shared names `module` takes, with where each is, by name.
    pub fn used_by(&self, module: &str) -> impl Iterator<Item = (&str, &Place)> {
        self.users
            .get(module)
            .into_iter()
            .flat_map(|names| names.iter().map(|(name, place)| (name.as_str(), place)))
    }

    /// Where `module`'s `name` is shared, if it is.
    pub fn place_of(&self, module: &str, name: &str) -> Option<&Place> {
        self.users.get(module)?.get(name)
    }

    /// The shared schema `name` of `place`.
    pub fn get(&self, place: &Place, name: &str) -> Option<&Placement> {
        self.places.get(place)?.get(name)
    }

    /// The modules using any type of `place`, in manifest order.
    pub fn modules_of(&self, place: &Place) -> Vec<&str> {
        let users: BTreeSet<&str> = self
            .places
            .get(place)
            .into_iter()
            .flat_map(|names| names.values())
            .flat_map(|placement| placement.modules.iter().map(String::as_str))
            .collect();
        self.modules
            .iter()
            .map(String::as_str)
            .filter(|m| users.contains(m))
            .collect()
    }

    /// The spec holding `place`'s schemas, for generating their types.
    ///
    /// A reference to a schema of another place becomes a reference to an alias of it, since
    /// one name may stand for different types here (the root's `Name` for one group, a
    /// submodule's for another). The alias holds the same schema, its own references treated
    /// alike, so the generator can read what it refers to.
    pub fn spec_for(&self, place: &Place) -> PlaceSpec {
        let own = self.places.get(place);
        // The generator looks replacements up by the schema name in PascalCase: aliases are
        // capitalized words, which that leaves alone, and start unlike any name here.
        let fold = |name: &str| -> String {
            name.chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .collect()
        };
        let mut prefix = "SharedAlias".to_owned();
        while own
            .into_iter()
            .flat_map(|names| names.keys())
            .any(|name| fold(name).starts_with(&fold(&prefix)))
        {
            prefix.push_str("Alias");
        }
        let mut aliases = Aliases {
            prefix,
            names: BTreeMap::new(),
            pending: Vec::new(),
        };
        let mut schemas = Map::new();
        for (name, placement) in own.into_iter().flatten() {
            schemas.insert(name.clone(), self.resolved(placement, place, &mut aliases));
        }
        while let Some((target, name)) = aliases.pending.pop() {
            let placement = self
                .get(&target, &name)
                .expect("an alias stands for a shared schema");
            let schema = self.resolved(placement, place, &mut aliases);
            schemas.insert(aliases.names[&(target, name)].clone(), schema);
        }
        PlaceSpec {
            spec: json!({
                "openapi": "3.0.1",
                "info": { "title": "shared", "version": "1" },
                "paths": {},
                "components": { "schemas": schemas },
            }),
            aliases: aliases
                .names
                .into_iter()
                .map(|(target, alias)| (alias, target))
                .collect(),
        }
    }

    /// `placement`'s schema with each reference to another place than `here` aliased.
    fn resolved(&self, placement: &Placement, here: &Place, aliases: &mut Aliases) -> Value {
        // All the placement's modules resolve a name to the same place; ask the first.
        let module = &placement.modules[0];
        let mut schema = placement.schema.clone();
        rewrite_refs(&mut schema, &mut |name| {
            let target = self
                .place_of(module, name)
                .expect("a shared schema refers only to shared schemas");
            (target != here).then(|| aliases.alias(target, name))
        });
        schema
    }
}

/// Alias names given out while building one place's spec.
struct Aliases {
    prefix: String,
    names: BTreeMap<(Place, String), String>,
    /// Aliased schemas not yet added to the spec.
    pending: Vec<(Place, String)>,
}

impl Aliases {
    fn alias(&mut self, place: &Place, name: &str) -> String {
        let key = (place.clone(), name.to_owned());
        if let Some(alias) = self.names.get(&key) {
            return alias.clone();
        }
        let alias = format!("{}{}", self.prefix, letters(self.names.len()));
        self.names.insert(key.clone(), alias.clone());
        self.pending.push(key);
        alias
    }
}

/// `n` as a capitalized word of letters (`A`, `B`, ..., `Ba`, ...): no digits, so the
/// generator's case conversion leaves it alone.
fn letters(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    out[0] = out[0].to_ascii_uppercase();
    String::from_utf8(out).expect("ASCII letters")
}

/// A group of modules defining `name` as `schema`.
#[derive(Debug, Clone, PartialEq)]
struct Group {
    name: String,
    schema: Value,
    /// In manifest order.
    modules: Vec<String>,
}

/// Finds the schemas to share among `specs` (module name and normalized spec, in manifest
/// order).
///
/// Every group of at least two modules defining a name identically shares it, as long as
/// every schema it refers to is shared by all of the group's modules in one place. Where the
/// modules of a group resolve a reference differently, the group splits by how they resolve
/// it; a module that keeps its own type of a referred schema keeps its own of this one too.
/// Of the groups of a name, the one with the most modules (the first in manifest order on a
/// tie) is placed at the root, each other in the submodule named after its first module.
pub fn find(specs: &[(String, Value)]) -> SharedSchemas {
    // name -> groups of (schema, modules defining it so), in first-seen order.
    let mut by_name: BTreeMap<String, Vec<(Value, Vec<String>)>> = BTreeMap::new();
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
                Some((_, modules)) => modules.push(module.clone()),
                None => groups.push((schema.clone(), vec![module.clone()])),
            }
        }
    }
    let mut groups: Vec<Group> = by_name
        .into_iter()
        .flat_map(|(name, groups)| {
            groups.into_iter().map(move |(schema, modules)| Group {
                name: name.clone(),
                schema,
                modules,
            })
        })
        .filter(|g| g.modules.len() >= 2)
        .collect();
    // A shared schema's references must mean one type for all its modules: split each group
    // by the groups its modules resolve its references to, until nothing changes.
    loop {
        let member: BTreeMap<(&str, &str), usize> = groups
            .iter()
            .enumerate()
            .flat_map(|(i, g)| {
                g.modules
                    .iter()
                    .map(move |m| ((m.as_str(), g.name.as_str()), i))
            })
            .collect();
        let mut next = Vec::with_capacity(groups.len());
        for group in &groups {
            let mut refs = BTreeSet::new();
            schema_refs(&group.schema, &mut refs);
            // (groups referred to, modules resolving so), in manifest order of first module.
            let mut classes: Vec<(Vec<usize>, Vec<String>)> = Vec::new();
            for module in &group.modules {
                let Some(key) = refs
                    .iter()
                    .map(|r| member.get(&(module.as_str(), r.as_str())).copied())
                    .collect::<Option<Vec<usize>>>()
                else {
                    continue;
                };
                match classes.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, modules)) => modules.push(module.clone()),
                    None => classes.push((key, vec![module.clone()])),
                }
            }
            for (_, modules) in classes {
                if modules.len() >= 2 {
                    next.push(Group {
                        name: group.name.clone(),
                        schema: group.schema.clone(),
                        modules,
                    });
                }
            }
        }
        let settled = next.len() == groups.len()
            && next
                .iter()
                .zip(&groups)
                .all(|(a, b)| a.name == b.name && a.modules == b.modules);
        groups = next;
        if settled {
            break;
        }
    }
    let order: BTreeMap<&str, usize> = specs
        .iter()
        .enumerate()
        .map(|(i, (m, _))| (m.as_str(), i))
        .collect();
    let mut by_name: BTreeMap<String, Vec<Group>> = BTreeMap::new();
    for group in groups {
        by_name.entry(group.name.clone()).or_default().push(group);
    }
    let mut shared = SharedSchemas {
        modules: specs.iter().map(|(m, _)| m.clone()).collect(),
        ..SharedSchemas::default()
    };
    for (name, mut groups) in by_name {
        // Most modules first; among equals, the one whose first module comes first.
        groups.sort_by_key(|g| {
            (
                std::cmp::Reverse(g.modules.len()),
                order[g.modules[0].as_str()],
            )
        });
        for (i, group) in groups.into_iter().enumerate() {
            let place = if i == 0 {
                Place::Root
            } else {
                Place::Sub(group.modules[0].clone())
            };
            for module in &group.modules {
                shared
                    .users
                    .entry(module.clone())
                    .or_default()
                    .insert(name.clone(), place.clone());
            }
            shared.places.entry(place).or_default().insert(
                name.clone(),
                Placement {
                    schema: group.schema,
                    modules: group.modules,
                },
            );
        }
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
                .and_then(|r| r.strip_prefix(REF_PREFIX))
            {
                out.insert(name.to_owned());
            }
            map.values().for_each(|v| schema_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| schema_refs(v, out)),
        _ => {}
    }
}

/// Points each reference to a component schema `name` at `rename(name)`, where that is some.
fn rewrite_refs(value: &mut Value, rename: &mut impl FnMut(&str) -> Option<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some(name) = reference.strip_prefix(REF_PREFIX)
                && let Some(alias) = rename(name)
            {
                *reference = format!("{REF_PREFIX}{alias}");
            }
            map.values_mut().for_each(|v| rewrite_refs(v, rename));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, rename)),
        _ => {}
    }
}

const REF_PREFIX: &str = "#/components/schemas/";

#[cfg(test)]
mod tests;
