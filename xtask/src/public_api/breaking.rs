//! Which differences between two public APIs break callers.

use std::collections::HashSet;

use public_api::diff::PublicApiDiff;
use public_api::{PublicApi, PublicItem};
use rustdoc_types::{Attribute, Crate, Id, ItemEnum, StructKind};

/// How a new API differs from an old one, for the report.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Classified {
    /// Items only the old API has.
    pub removed: Vec<String>,
    /// (old, new) renderings of the same item.
    pub changed: Vec<(String, String)>,
    /// Items only the new API has that break callers all the same, with why.
    pub breaking_added: Vec<(String, &'static str)>,
    /// Items only the new API has.
    pub added: Vec<String>,
}

impl Classified {
    /// Whether anything was removed or changed, or added where callers cannot cope with it.
    pub fn is_breaking(&self) -> bool {
        !self.removed.is_empty() || !self.changed.is_empty() || !self.breaking_added.is_empty()
    }

    /// Compares a listing's lines with `new` when there is no old API to diff with: an item
    /// that changed shows as removed and added.
    pub fn lines(old_listing: &str, new: PublicApi, krate: &Crate) -> Self {
        let is_item = |line: &&str| !line.is_empty() && !line.starts_with("//");
        let old: HashSet<&str> = old_listing.lines().filter(is_item).collect();
        let new: Vec<PublicItem> = new.into_items().collect();
        let rendered: HashSet<String> = new.iter().map(ToString::to_string).collect();
        let mut removed: Vec<String> = old
            .iter()
            .filter(|line| !rendered.contains(**line))
            .map(|line| (*line).to_owned())
            .collect();
        removed.sort();
        let added = new
            .into_iter()
            .filter(|item| !old.contains(item.to_string().as_str()))
            .collect();
        split_added(removed, Vec::new(), added, krate)
    }
}

/// Sorts `diff`'s additions into those that break callers and those that do not; `krate` is
/// the new API's crate, which its items' ids point into.
pub fn classify(diff: PublicApiDiff, krate: &Crate) -> Classified {
    let removed = diff.removed.iter().map(ToString::to_string).collect();
    let changed = diff
        .changed
        .iter()
        .map(|c| (c.old.to_string(), c.new.to_string()))
        .collect();
    split_added(removed, changed, diff.added, krate)
}

fn split_added(
    removed: Vec<String>,
    changed: Vec<(String, String)>,
    added: Vec<PublicItem>,
    krate: &Crate,
) -> Classified {
    let new_ids: HashSet<Id> = added.iter().map(PublicItem::id).collect();
    let mut classified = Classified {
        removed,
        changed,
        ..Classified::default()
    };
    for item in added {
        let parent = item.parent_id().filter(|id| !new_ids.contains(id));
        match parent.and_then(|parent| breaking_addition(krate, item.id(), parent)) {
            Some(why) => classified.breaking_added.push((item.to_string(), why)),
            None => classified.added.push(item.to_string()),
        }
    }
    classified
}

/// Why adding item `id` to the existing item `parent` breaks callers, if it does: a variant
/// of an exhaustive enum breaks their matches, a field of a struct they can build with a
/// literal breaks the literal, a trait item without a default breaks their impls.
fn breaking_addition(krate: &Crate, id: Id, parent: Id) -> Option<&'static str> {
    let item = krate.index.get(&id)?;
    let parent = krate.index.get(&parent)?;
    let exhaustive = !parent.attrs.contains(&Attribute::NonExhaustive);
    match (&item.inner, &parent.inner) {
        (ItemEnum::Variant(_), ItemEnum::Enum(_)) if exhaustive => {
            Some("a variant of an exhaustive enum breaks matches on it")
        }
        (ItemEnum::StructField(_), ItemEnum::Struct(s)) if exhaustive && literal(&s.kind) => {
            Some("a field of a struct built by a literal breaks the literal")
        }
        (ItemEnum::Function(f), ItemEnum::Trait(_)) if !f.has_body => {
            Some("a trait item without a default breaks every impl of the trait")
        }
        (ItemEnum::AssocType { type_: None, .. }, ItemEnum::Trait(_))
        | (ItemEnum::AssocConst { value: None, .. }, ItemEnum::Trait(_)) => {
            Some("a trait item without a default breaks every impl of the trait")
        }
        _ => None,
    }
}

/// Whether callers can build a struct of this kind with a literal: all its fields are public.
fn literal(kind: &StructKind) -> bool {
    match kind {
        StructKind::Unit => true,
        StructKind::Tuple(fields) => fields.iter().all(Option::is_some),
        StructKind::Plain {
            has_stripped_fields,
            ..
        } => !has_stripped_fields,
    }
}
