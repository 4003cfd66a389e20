//! A type's property definitions and groups as the Properties API changes them: a created
//! property joins the definitions writes are checked against, its unique index and the
//! names reads answer, at once; an archived one leaves them.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::{TypeStore, unique_key};
use crate::error::{ApiError, ApiResult};
use crate::schema::PropDef;

/// A property group.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub name: String,
    pub label: String,
    pub display_order: i64,
    pub archived: bool,
}

impl Group {
    /// JSON in the Properties API shape.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "label": self.label,
            "displayOrder": self.display_order,
            "archived": self.archived,
        })
    }
}

/// The groups a type's definitions are in, in order of first use: `contactinformation`
/// reads `Contact information`, `lead_information` `Lead information`.
pub(super) fn initial_groups(defs: &[PropDef]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for def in defs {
        if groups.iter().any(|g| g.name == def.group) {
            continue;
        }
        groups.push(Group {
            label: group_label(&def.group),
            name: def.group.clone(),
            display_order: groups.len() as i64,
            archived: false,
        });
    }
    groups
}

fn group_label(name: &str) -> String {
    let words = match name.strip_suffix("information") {
        Some(head) if !head.is_empty() => format!("{} information", head.trim_end_matches('_')),
        _ => name.replace('_', " "),
    };
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => words,
    }
}

/// The sandbox's 409 for a name a property or group of the type already has, live or in the
/// recycling bin (the spec: archiving moves it "to the recycling bin", from which it can come
/// back under its name); `CONFLICT` as HubSpot answers other taken names.
fn name_taken(what: &str, name: &str, otype: &str) -> ApiError {
    ApiError::conflict(format!(
        "A {what} named '{name}' already exists for {otype}."
    ))
    .with_context(json!({"name": [name]}))
}

impl TypeStore {
    /// A property in the recycling bin.
    pub fn archived_def(&self, name: &str) -> Option<&PropDef> {
        self.archived_defs.iter().find(|d| d.name == name)
    }

    /// Every property in the recycling bin.
    pub fn archived_defs(&self) -> &[PropDef] {
        &self.archived_defs
    }

    /// A live property group.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name && !g.archived)
    }

    /// Every live property group.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.iter().filter(|g| !g.archived)
    }

    /// Checks that `def` could be created: its name is free (a property in the recycling bin
    /// keeps its name) and its group exists.
    pub fn check_new_def(&self, otype: &str, def: &PropDef) -> ApiResult<()> {
        if self.prop(&def.name).is_some() || self.archived_def(&def.name).is_some() {
            return Err(name_taken("property", &def.name, otype));
        }
        self.check_group(&def.group)
    }

    /// Checks that a property can be put in group `name`.
    pub fn check_group(&self, name: &str) -> ApiResult<()> {
        match self.group(name) {
            Some(_) => Ok(()),
            None => Err(
                ApiError::validation(format!("Property group {name} does not exist."))
                    .with_context(json!({"groupName": [name]})),
            ),
        }
    }

    /// Adds a property checked by [`TypeStore::check_new_def`]. A unique one indexes the
    /// live records' values at once; two records sharing a value refuse it.
    pub fn add_def(&mut self, otype: &str, def: PropDef) -> ApiResult<()> {
        self.check_new_def(otype, &def)?;
        if def.unique {
            let index = self.index_of(&def.name)?;
            self.unique.insert(def.name.clone(), index);
        }
        if let Some(known) = &mut self.known {
            Arc::make_mut(known).insert(def.name.clone());
        }
        self.def_index.insert(def.name.clone(), self.defs.len());
        self.defs.push(def);
        Ok(())
    }

    /// The unique index of `name` over the live records: value -> id.
    fn index_of(&self, name: &str) -> ApiResult<HashMap<String, u64>> {
        let mut index = HashMap::new();
        for obj in self.objects.values().filter(|o| !o.archived()) {
            let Some(value) = obj.get(name).filter(|v| !v.is_empty()) else {
                continue;
            };
            if let Some(other) = index.insert(unique_key(name, value), obj.id) {
                return Err(ApiError::validation(format!(
                    "Property {name} cannot have unique values: records {other} and {} share the value {value}.",
                    obj.id
                )));
            }
        }
        Ok(index)
    }

    /// Puts a changed definition in place of the live one of the same name.
    pub fn replace_def(&mut self, def: PropDef) {
        if let Some(&i) = self.def_index.get(&def.name) {
            self.defs[i] = def;
        }
    }

    /// Moves a live property to the recycling bin: writes and reads no longer know it, and
    /// its values no longer address records.
    pub fn archive_def(&mut self, name: &str, at: &str) -> Option<()> {
        let i = *self.def_index.get(name)?;
        let mut def = self.defs.remove(i);
        self.def_index = self
            .defs
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i))
            .collect();
        if let Some(known) = &mut self.known {
            Arc::make_mut(known).remove(name);
        }
        self.unique.remove(name);
        if let Some(written) = &mut def.written {
            written.archived_at = Some(at.to_string());
        }
        self.archived_defs.push(def);
        Some(())
    }

    /// Adds a property group; its name must be free (an archived group keeps its name).
    pub fn add_group(&mut self, otype: &str, mut group: Group) -> ApiResult<&Group> {
        if self.groups.iter().any(|g| g.name == group.name) {
            return Err(name_taken("property group", &group.name, otype));
        }
        if group.display_order < 0 {
            group.display_order = self.groups.len() as i64;
        }
        self.groups.push(group);
        Ok(&self.groups[self.groups.len() - 1])
    }

    /// The live group `name`, to change.
    pub fn group_mut(&mut self, name: &str) -> Option<&mut Group> {
        self.groups
            .iter_mut()
            .find(|g| g.name == name && !g.archived)
    }

    /// Archives a live group that holds no live property. The sandbox's reading: the spec
    /// says nothing of a group that still holds properties, and archiving it would leave
    /// them in no group.
    pub fn archive_group(&mut self, name: &str) -> ApiResult<()> {
        let held: Vec<&str> = self
            .defs
            .iter()
            .filter(|d| d.group == name)
            .map(|d| d.name.as_str())
            .collect();
        if !held.is_empty() {
            return Err(ApiError::validation(format!(
                "Property group {name} still holds properties ({}); move or archive them first.",
                held.join(", ")
            )));
        }
        match self.group_mut(name) {
            Some(group) => {
                group.archived = true;
                Ok(())
            }
            None => Err(ApiError::not_found(format!(
                "Unable to find property group {name}"
            ))),
        }
    }
}
