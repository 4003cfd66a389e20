//! `cargo xtask public-api [--check]`: a sorted listing of each library crate's public API,
//! read from rustdoc's JSON output, committed as `crates/<crate>/public-api.txt`.
//!
//! No version is published yet, so there is no baseline for `cargo-semver-checks`; the
//! committed listing is the baseline instead. A line per item reachable from the crate root,
//! written with full paths and no ids, spans or absolute paths, so the file changes only when
//! the API does. Blanket impls are left out; auto-trait impls (Send, Sync, ...) stay, as losing
//! one breaks callers.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use rustdoc_types::{
    Abi, Attribute, Crate, FunctionHeader, FunctionSignature, GenericArg, GenericArgs,
    GenericBound, GenericParamDef, GenericParamDefKind, Generics, Id, Impl, Item, ItemEnum,
    ItemKind, ReprKind, StructKind, Term, TraitBoundModifier, Type, VariantKind, Visibility,
    WherePredicate,
};

use crate::Error;

/// The crates whose API is listed, with their folders below the workspace root.
pub const CRATES: [(&str, &str); 2] = [
    ("hubspot-crm", "crates/hubspot-crm"),
    ("hubspot-sandbox", "crates/hubspot-sandbox"),
];

/// The listing's file name inside each crate's folder.
pub const LISTING_FILE: &str = "public-api.txt";

/// Auto traits rustdoc synthesizes impls of that are stable API; it also synthesizes unstable
/// ones (`Freeze`, `UnsafeUnpin`) that callers cannot name.
const AUTO_TRAITS: [&str; 5] = ["Send", "Sync", "Unpin", "UnwindSafe", "RefUnwindSafe"];

/// Traits a derive implements that stable code cannot name.
const UNSTABLE_TRAITS: [&str; 1] = ["core::marker::StructuralPartialEq"];

/// Writes the listings, or with `check` compares them with the committed files.
pub fn run(root: &Path, check: bool) -> Result<(), Error> {
    let target_dir = target_dir(root)?;
    let mut stale = Vec::new();
    for (package, dir) in CRATES {
        let json = rustdoc_json(root, &target_dir, package)?;
        let krate = load(&json, package)?;
        let text = listing(&krate, package).map_err(|message| Error::PublicApi {
            package: package.to_owned(),
            message,
        })?;
        let relative = Path::new(dir).join(LISTING_FILE);
        let path = root.join(&relative);
        let old = match std::fs::read_to_string(&path) {
            Ok(old) => Some(old),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&path, e)),
        };
        let items = text.lines().filter(|l| is_item_line(l)).count();
        if old.as_deref() == Some(text.as_str()) {
            println!(
                "{}: public API unchanged ({items} lines)",
                relative.display()
            );
        } else if check {
            let diff = diff(old.as_deref().unwrap_or(""), &text);
            print!("{}", report(&relative, old.is_none(), &diff));
            stale.push(relative.display().to_string());
        } else {
            crate::pull::write_atomically(&path, text.as_bytes())?;
            println!("wrote {} ({items} lines)", relative.display());
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(Error::PublicApiChanged { files: stale })
    }
}

/// Cargo's target directory for the workspace (honours `CARGO_TARGET_DIR` and config).
fn target_dir(root: &Path) -> Result<PathBuf, Error> {
    let failed = |message: String| Error::PublicApi {
        package: "*".into(),
        message,
    };
    let output = cargo(root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .map_err(|e| failed(format!("running cargo metadata: {e}")))?;
    if !output.status.success() {
        return Err(failed(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| failed(format!("cargo metadata printed no JSON: {e}")))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| failed("cargo metadata names no target_directory".into()))
}

/// The cargo that runs this task, so the listing comes from the same toolchain.
fn cargo(root: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root);
    command
}

/// Set on the `cargo rustdoc` this task runs, whose rustdoc is this binary: the rustdoc to run.
pub const REAL_RUSTDOC: &str = "XTASK_REAL_RUSTDOC";

/// Runs `real` (the rustdoc cargo would have run) with the arguments cargo gave this binary,
/// allowing unstable options for it alone.
///
/// rustdoc's JSON backend is unstable, and `RUSTC_BOOTSTRAP` lets the stable toolchain run it.
/// Set for all of cargo, it would also reach the dependencies' build scripts, and every crate
/// whose build script watches it (proc-macro2, serde, ...) would be rebuilt, for this task and
/// again for the next ordinary build.
pub fn wrap_rustdoc(real: OsString) -> ExitCode {
    let status = Command::new(&real)
        .args(std::env::args_os().skip(1))
        .env("RUSTC_BOOTSTRAP", "1")
        .env_remove(REAL_RUSTDOC)
        .status();
    match status {
        Ok(status) => match status.code() {
            Some(0) => ExitCode::SUCCESS,
            Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            None => ExitCode::FAILURE,
        },
        Err(e) => {
            eprintln!("error: running {}: {e}", real.to_string_lossy());
            ExitCode::FAILURE
        }
    }
}

/// Runs rustdoc's JSON backend on `package` (all features) and returns the file it wrote.
fn rustdoc_json(root: &Path, target_dir: &Path, package: &str) -> Result<PathBuf, Error> {
    let failed = |message: String| Error::PublicApi {
        package: package.to_owned(),
        message,
    };
    let this =
        std::env::current_exe().map_err(|e| failed(format!("finding the xtask binary: {e}")))?;
    let real = std::env::var_os("RUSTDOC").unwrap_or_else(|| "rustdoc".into());
    let status = cargo(root)
        .env("RUSTDOC", this)
        .env(REAL_RUSTDOC, real)
        .args(["rustdoc", "-p", package, "--all-features", "--lib", "--"])
        .args(["-Z", "unstable-options", "--output-format", "json"])
        .status()
        .map_err(|e| failed(format!("running cargo rustdoc: {e}")))?;
    if !status.success() {
        return Err(failed(format!("cargo rustdoc failed ({status})")));
    }
    Ok(target_dir
        .join("doc")
        .join(format!("{}.json", package.replace('-', "_"))))
}

/// Reads rustdoc's JSON, refusing a format this xtask was not built for.
fn load(path: &Path, package: &str) -> Result<Crate, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse(&bytes).map_err(|message| Error::PublicApi {
        package: package.to_owned(),
        message: format!("{}: {message}", path.display()),
    })
}

/// Parses rustdoc's JSON after checking its `format_version`.
pub fn parse(bytes: &[u8]) -> Result<Crate, String> {
    #[derive(serde::Deserialize)]
    struct Version {
        format_version: u32,
    }
    let version: Version = serde_json::from_slice(bytes)
        .map_err(|e| format!("not rustdoc JSON (no format_version): {e}"))?;
    if version.format_version != rustdoc_types::FORMAT_VERSION {
        return Err(format!(
            "rustdoc JSON format {} but the xtask reads format {}: move xtask's rustdoc-types \
             dependency to the version whose FORMAT_VERSION is {}",
            version.format_version,
            rustdoc_types::FORMAT_VERSION,
            version.format_version
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| format!("reading rustdoc JSON: {e}"))
}

// Comparing listings.

/// Whether a listing line is an item (not a header comment or blank).
fn is_item_line(line: &str) -> bool {
    !line.is_empty() && !line.starts_with("//")
}

/// How a new listing differs from an old one.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// Lines only the old listing has, with no single counterpart in the new one.
    pub removed: Vec<String>,
    /// (old, new) lines for the same item.
    pub changed: Vec<(String, String)>,
    /// Lines only the new listing has that break callers all the same, with why.
    pub breaking_added: Vec<(String, &'static str)>,
    /// Lines only the new listing has.
    pub added: Vec<String>,
}

impl Diff {
    /// Whether anything was removed or changed, or added where callers cannot cope with it.
    pub fn is_breaking(&self) -> bool {
        !self.removed.is_empty() || !self.changed.is_empty() || !self.breaking_added.is_empty()
    }
}

/// Compares two listings line by line. An old and a new line with the same item name (the text
/// before its signature or type) are one changed item when the name occurs once on each side.
pub fn diff(old: &str, new: &str) -> Diff {
    let old: BTreeSet<&str> = old.lines().filter(|l| is_item_line(l)).collect();
    let new: BTreeSet<&str> = new.lines().filter(|l| is_item_line(l)).collect();
    let gone: Vec<&str> = old.difference(&new).copied().collect();
    let came: Vec<&str> = new.difference(&old).copied().collect();
    let count = |lines: &[&str], key: &str| lines.iter().filter(|l| line_key(l) == key).count();
    let mut diff = Diff::default();
    let mut paired = BTreeSet::new();
    for line in &gone {
        let key = line_key(line);
        let partner = came.iter().find(|l| line_key(l) == key);
        match partner {
            Some(partner) if count(&gone, key) == 1 && count(&came, key) == 1 => {
                diff.changed
                    .push(((*line).to_owned(), (*partner).to_owned()));
                paired.insert(*partner);
            }
            _ => diff.removed.push((*line).to_owned()),
        }
    }
    let decls: HashMap<&str, &str> = new
        .iter()
        .filter(|l| {
            let body = strip_attrs(l);
            [
                "pub struct ",
                "pub enum ",
                "pub union ",
                "pub trait ",
                "pub unsafe trait ",
            ]
            .iter()
            .any(|k| body.starts_with(k))
        })
        .filter_map(|l| Some((item_path(l)?, *l)))
        .collect();
    let came_set: BTreeSet<&str> = came.iter().copied().collect();
    for line in came.into_iter().filter(|l| !paired.contains(l)) {
        match breaking_addition(line, &decls, &came_set) {
            Some(why) => diff.breaking_added.push((line.to_owned(), why)),
            None => diff.added.push(line.to_owned()),
        }
    }
    diff
}

/// Why adding `line` breaks callers, if it does: a variant of an exhaustive enum breaks their
/// matches, a field of a struct they can build with a literal breaks the literal, a required
/// trait item breaks their impls. Items of a type or trait that is new itself break nothing.
fn breaking_addition(
    line: &str,
    decls: &HashMap<&str, &str>,
    came: &BTreeSet<&str>,
) -> Option<&'static str> {
    let body = strip_attrs(line);
    let path = item_path(line)?;
    let (parent, _) = path.rsplit_once("::")?;
    let decl = decls.get(parent).filter(|d| !came.contains(*d))?;
    let decl_body = strip_attrs(decl);
    let exhaustive = !decl.contains("#[non_exhaustive]");
    if body.starts_with("pub variant ") && decl_body.starts_with("pub enum ") && exhaustive {
        return Some("a variant of an exhaustive enum breaks matches on it");
    }
    if body.starts_with("pub field ")
        && decl_body.starts_with("pub struct ")
        && exhaustive
        && !decl.contains("/* private fields */")
    {
        return Some("a field of a struct built by a literal breaks the literal");
    }
    let in_trait =
        decl_body.starts_with("pub trait ") || decl_body.starts_with("pub unsafe trait ");
    let required = match body.split_once(' ').map(|(kind, _)| kind) {
        Some("fn") => !body.ends_with(" { .. }"),
        Some("type" | "const") => !body.contains(" = "),
        _ => false,
    };
    if in_trait && required {
        return Some("a trait item without a default breaks every impl of the trait");
    }
    None
}

/// The path a line names: its first word with `::` (a trait impl's `<T as Trait>::` aside),
/// without generics, signature or type.
fn item_path(line: &str) -> Option<&str> {
    let word = strip_attrs(line)
        .split(' ')
        .find(|w| w.contains("::") || w.starts_with('<'))
        .filter(|w| !w.starts_with('<'))?;
    let end = word.find(['(', '<', '{', ';', '=']).unwrap_or(word.len());
    Some(word[..end].trim_end_matches(':'))
}

/// The item a line describes: attributes dropped, cut before its signature, type or value.
/// Impl lines are their own key, so two different impls never pair.
fn line_key(line: &str) -> &str {
    let rest = strip_attrs(line);
    if rest.starts_with("impl") || rest.starts_with("unsafe impl") {
        return rest;
    }
    let cut = ["(", ": ", " = ", " where ", " {", " //", ";"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
        .unwrap_or(rest.len());
    &rest[..cut]
}

/// A line without its leading `#[..]` attributes.
fn strip_attrs(line: &str) -> &str {
    let mut rest = line;
    while let Some(after) = rest.strip_prefix("#[") {
        let mut depth = 1;
        let end = after.char_indices().find_map(|(i, c)| {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                _ => {}
            }
            (depth == 0).then_some(i)
        });
        match end {
            Some(end) => rest = after[end + 1..].trim_start(),
            None => break,
        }
    }
    rest
}

/// What `--check` prints for one stale listing.
pub fn report(file: &Path, missing: bool, diff: &Diff) -> String {
    let mut out = String::new();
    if missing {
        out.push_str(&format!("{} does not exist yet\n", file.display()));
    }
    out.push_str(&format!(
        "public API differs from {}: {} removed, {} changed, {} added\n",
        file.display(),
        diff.removed.len(),
        diff.changed.len(),
        diff.breaking_added.len() + diff.added.len()
    ));
    for line in &diff.removed {
        out.push_str(&format!("  BREAKING removed: {line}\n"));
    }
    for (old, new) in &diff.changed {
        out.push_str(&format!("  BREAKING changed: {old}\n"));
        out.push_str(&format!("               to: {new}\n"));
    }
    for (line, why) in &diff.breaking_added {
        out.push_str(&format!("  BREAKING added: {line}\n"));
        out.push_str(&format!("               ({why})\n"));
    }
    for line in &diff.added {
        out.push_str(&format!("  added: {line}\n"));
    }
    if diff.is_breaking() {
        out.push_str("  => a breaking change\n");
    }
    out
}

// Building a listing.

/// One listing line and where it sorts: by the path of the item it belongs to, then by kind,
/// with a trait impl's members right after the impl, then by the text without attributes (so a
/// `#[cfg]` does not move a line).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Line {
    owner: Vec<String>,
    rank: Rank,
    group: String,
    /// 0 for an impl line, 1 for its members.
    sub: u8,
    body: String,
    text: String,
}

impl Line {
    fn new(owner: &[String], rank: Rank, text: String) -> Self {
        Line::in_group(owner, rank, String::new(), 0, text)
    }

    fn in_group(owner: &[String], rank: Rank, group: String, sub: u8, text: String) -> Self {
        Line {
            owner: owner.to_vec(),
            rank,
            group,
            sub,
            body: strip_attrs(&text).to_owned(),
            text,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// The item itself.
    Item,
    /// Fields, variants, trait items.
    Member,
    /// Inherent methods and associated items.
    Inherent,
    /// Trait impls, each followed by its members.
    TraitImpl,
    /// Impls of a local trait for types outside this crate's public API.
    Implementor,
}

/// The listing of `krate`, with a short header naming `package`.
pub fn listing(krate: &Crate, package: &str) -> Result<String, String> {
    let renderer = Renderer::new(krate)?;
    let mut lines = renderer.lines()?;
    lines.sort();
    let mut seen = BTreeSet::new();
    let mut out = format!(
        "// Public API of {package} (all features), from rustdoc's JSON output.\n\
         // Regenerate: cargo xtask public-api. Check: cargo xtask public-api --check.\n"
    );
    for line in lines {
        if seen.insert(line.text.clone()) {
            out.push_str(&line.text);
            out.push('\n');
        }
    }
    Ok(out)
}

/// An item reachable from the crate root at `path`, gated by `cfgs`.
struct Reachable {
    path: Vec<String>,
    id: Id,
    cfgs: Vec<String>,
}

/// A re-export of something outside the documented crate.
struct External {
    path: Vec<String>,
    target: String,
    cfgs: Vec<String>,
}

struct Renderer<'a> {
    krate: &'a Crate,
    reachable: Vec<Reachable>,
    externals: Vec<External>,
    /// The shortest public path of each reachable item, used wherever a type names it.
    public_paths: HashMap<Id, Vec<String>>,
}

impl<'a> Renderer<'a> {
    fn new(krate: &'a Crate) -> Result<Self, String> {
        let root = krate
            .index
            .get(&krate.root)
            .ok_or("the crate root is not in the index")?;
        let name = root.name.clone().ok_or("the crate root has no name")?;
        let mut renderer = Renderer {
            krate,
            reachable: Vec::new(),
            externals: Vec::new(),
            public_paths: HashMap::new(),
        };
        let cfgs = cfgs_of(root)?;
        renderer.reachable.push(Reachable {
            path: vec![name.clone()],
            id: krate.root,
            cfgs: cfgs.clone(),
        });
        renderer.walk(krate.root, &[name], &cfgs, &mut vec![krate.root])?;
        for r in &renderer.reachable {
            let best = renderer.public_paths.entry(r.id).or_insert(r.path.clone());
            if (r.path.len(), &r.path) < (best.len(), &*best) {
                *best = r.path.clone();
            }
        }
        Ok(renderer)
    }

    fn item(&self, id: &Id) -> Option<&'a Item> {
        self.krate.index.get(id)
    }

    /// Records everything module `id` makes public at `path`; `stack` breaks re-export cycles.
    fn walk(
        &mut self,
        id: Id,
        path: &[String],
        cfgs: &[String],
        stack: &mut Vec<Id>,
    ) -> Result<(), String> {
        let Some(ItemEnum::Module(module)) = self.item(&id).map(|i| &i.inner) else {
            return Ok(());
        };
        for child in &module.items {
            let Some(item) = self.item(child) else {
                continue;
            };
            if item.visibility != Visibility::Public {
                continue;
            }
            let cfgs = merge(cfgs, &cfgs_of(item)?);
            match &item.inner {
                ItemEnum::Impl(_) => {}
                ItemEnum::Use(use_) => {
                    let target = use_.id.and_then(|t| self.item(&t).map(|i| (t, i)));
                    match target {
                        Some((t, target)) if use_.is_glob => {
                            if let ItemEnum::Module(_) = target.inner {
                                if !stack.contains(&t) {
                                    stack.push(t);
                                    self.walk(t, path, &cfgs, stack)?;
                                    stack.pop();
                                }
                            } else if let ItemEnum::Enum(e) = &target.inner {
                                for v in &e.variants {
                                    if let Some(variant) = self.item(v) {
                                        let name = variant.name.clone().unwrap_or_default();
                                        self.visit(
                                            child_path(path, &name),
                                            *v,
                                            cfgs.clone(),
                                            stack,
                                        )?;
                                    }
                                }
                            }
                        }
                        Some((t, target)) => {
                            let cfgs = merge(&cfgs, &cfgs_of(target)?);
                            self.visit(child_path(path, &use_.name), t, cfgs, stack)?;
                        }
                        None => {
                            let name = if use_.is_glob { "*" } else { &use_.name };
                            let target = match use_.id.and_then(|t| self.krate.paths.get(&t)) {
                                Some(summary) => format!(
                                    "{} {}",
                                    kind_keyword(summary.kind),
                                    summary.path.join("::")
                                ),
                                None => use_.source.clone(),
                            };
                            self.externals.push(External {
                                path: child_path(path, name),
                                target,
                                cfgs,
                            });
                        }
                    }
                }
                _ => {
                    let name = item.name.clone().unwrap_or_default();
                    self.visit(child_path(path, &name), *child, cfgs, stack)?;
                }
            }
        }
        Ok(())
    }

    fn visit(
        &mut self,
        path: Vec<String>,
        id: Id,
        cfgs: Vec<String>,
        stack: &mut Vec<Id>,
    ) -> Result<(), String> {
        let is_module = matches!(self.item(&id).map(|i| &i.inner), Some(ItemEnum::Module(_)));
        self.reachable.push(Reachable {
            path: path.clone(),
            id,
            cfgs: cfgs.clone(),
        });
        if is_module && !stack.contains(&id) {
            stack.push(id);
            self.walk(id, &path, &cfgs, stack)?;
            stack.pop();
        }
        Ok(())
    }

    fn lines(&self) -> Result<Vec<Line>, String> {
        let mut out = Vec::new();
        for r in &self.reachable {
            let item = self
                .item(&r.id)
                .ok_or("a reachable item is not in the index")?;
            self.item_lines(item, &r.path, &r.cfgs, &mut out)?;
        }
        for e in &self.externals {
            let text = format!(
                "{}pub use {} = {}",
                cfg_prefix(&e.cfgs),
                e.path.join("::"),
                e.target
            );
            out.push(Line::new(&e.path, Rank::Item, text));
        }
        Ok(out)
    }

    fn item_lines(
        &self,
        item: &Item,
        path: &[String],
        cfgs: &[String],
        out: &mut Vec<Line>,
    ) -> Result<(), String> {
        let name = path.join("::");
        let prefix = format!("{}{}", cfg_prefix(cfgs), attr_prefix(item));
        // The item's own lines; members and impls go straight to `out`.
        let mut own = Vec::new();
        let mut push = |rank: Rank, text: String| own.push(Line::new(path, rank, text));
        match &item.inner {
            ItemEnum::Module(_) => push(Rank::Item, format!("{prefix}pub mod {name}")),
            ItemEnum::Struct(s) => {
                let shape = match &s.kind {
                    StructKind::Unit => ";".to_owned(),
                    StructKind::Tuple(fields) => {
                        let fields: Vec<String> = fields
                            .iter()
                            .map(|f| match f.and_then(|f| self.item(&f)) {
                                Some(field) => match &field.inner {
                                    ItemEnum::StructField(ty) => Ok(format!("pub {}", self.ty(ty))),
                                    _ => Err("a tuple field is not a field".to_owned()),
                                },
                                None => Ok("_".to_owned()),
                            })
                            .collect::<Result<_, _>>()?;
                        format!("({})", fields.join(", "))
                    }
                    StructKind::Plain {
                        has_stripped_fields,
                        ..
                    } => if *has_stripped_fields {
                        " { /* private fields */ }"
                    } else {
                        ""
                    }
                    .to_owned(),
                };
                let (params, clause) = self.generics(&s.generics);
                push(
                    Rank::Item,
                    format!("{prefix}pub struct {name}{params}{clause}{shape}"),
                );
                if let StructKind::Plain { fields, .. } = &s.kind {
                    self.field_lines(fields, path, cfgs, out)?;
                }
                self.impl_lines(&s.impls, item.id, path, cfgs, out)?;
            }
            ItemEnum::Union(u) => {
                let (params, clause) = self.generics(&u.generics);
                let shape = if u.has_stripped_fields {
                    " { /* private fields */ }"
                } else {
                    ""
                };
                push(
                    Rank::Item,
                    format!("{prefix}pub union {name}{params}{clause}{shape}"),
                );
                self.field_lines(&u.fields, path, cfgs, out)?;
                self.impl_lines(&u.impls, item.id, path, cfgs, out)?;
            }
            ItemEnum::Enum(e) => {
                let (params, clause) = self.generics(&e.generics);
                push(
                    Rank::Item,
                    format!("{prefix}pub enum {name}{params}{clause}"),
                );
                for v in &e.variants {
                    let variant = self.item(v).ok_or("a variant is not in the index")?;
                    let vname = variant.name.clone().unwrap_or_default();
                    let text = self.variant(variant, &format!("{name}::{vname}"), cfgs)?;
                    push(Rank::Member, text);
                }
                self.impl_lines(&e.impls, item.id, path, cfgs, out)?;
            }
            ItemEnum::Variant(_) => {
                // A variant re-exported by itself or by a glob over its enum.
                let target = self
                    .krate
                    .paths
                    .get(&item.id)
                    .map_or_else(|| name.clone(), |s| s.path.join("::"));
                push(
                    Rank::Item,
                    format!("{prefix}pub use {name} = variant {target}"),
                );
            }
            ItemEnum::Trait(t) => {
                let (params, clause) = self.generics(&t.generics);
                let bounds = self.bounds_suffix(&t.bounds);
                let unsafety = if t.is_unsafe { "unsafe " } else { "" };
                let auto = if t.is_auto { "auto " } else { "" };
                let dyn_note = if t.is_dyn_compatible {
                    " // dyn-compatible"
                } else {
                    ""
                };
                push(
                    Rank::Item,
                    format!(
                        "{prefix}pub {unsafety}{auto}trait {name}{params}{bounds}{clause}{dyn_note}"
                    ),
                );
                for member in &t.items {
                    let member = self
                        .item(member)
                        .ok_or("a trait item is not in the index")?;
                    if let Some(text) = self.assoc_item(member, &name, cfgs, true)? {
                        push(Rank::Member, text);
                    }
                }
                self.implementor_lines(&t.implementations, path, cfgs, out)?;
            }
            ItemEnum::TraitAlias(t) => {
                let (params, clause) = self.generics(&t.generics);
                push(
                    Rank::Item,
                    format!(
                        "{prefix}pub trait {name}{params} = {}{clause}",
                        self.bounds(&t.params)
                    ),
                );
            }
            ItemEnum::Function(f) => {
                let text = self.function(
                    &format!("{prefix}pub "),
                    &name,
                    &f.header,
                    &f.generics,
                    &f.sig,
                    &[],
                );
                push(Rank::Item, text);
            }
            ItemEnum::TypeAlias(t) => {
                let (params, clause) = self.generics(&t.generics);
                push(
                    Rank::Item,
                    format!(
                        "{prefix}pub type {name}{params} = {}{clause}",
                        self.ty(&t.type_)
                    ),
                );
            }
            ItemEnum::Constant { type_, const_ } => {
                let value = const_value(const_.value.as_deref(), &const_.expr, const_.is_literal);
                push(
                    Rank::Item,
                    format!("{prefix}pub const {name}: {}{value}", self.ty(type_)),
                );
            }
            ItemEnum::Static(s) => {
                let unsafety = if s.is_unsafe { "unsafe " } else { "" };
                let mutability = if s.is_mutable { "mut " } else { "" };
                push(
                    Rank::Item,
                    format!(
                        "{prefix}pub {unsafety}static {mutability}{name}: {}",
                        self.ty(&s.type_)
                    ),
                );
            }
            ItemEnum::ExternType => push(Rank::Item, format!("{prefix}pub extern type {name}")),
            ItemEnum::Macro(_) => push(Rank::Item, format!("{prefix}pub macro_rules! {name}")),
            ItemEnum::ProcMacro(p) => {
                let kind = match p.kind {
                    rustdoc_types::MacroKind::Bang => "proc_macro",
                    rustdoc_types::MacroKind::Attr => "proc_macro_attribute",
                    rustdoc_types::MacroKind::Derive => "proc_macro_derive",
                };
                push(Rank::Item, format!("{prefix}pub {kind} {name}"));
            }
            ItemEnum::ExternCrate {
                name: crate_name, ..
            } => push(
                Rank::Item,
                format!("{prefix}pub extern crate {name} = {crate_name}"),
            ),
            ItemEnum::Use(_)
            | ItemEnum::Impl(_)
            | ItemEnum::StructField(_)
            | ItemEnum::Primitive(_)
            | ItemEnum::AssocConst { .. }
            | ItemEnum::AssocType { .. } => {}
        }
        out.extend(own);
        Ok(())
    }

    fn field_lines(
        &self,
        fields: &[Id],
        path: &[String],
        cfgs: &[String],
        out: &mut Vec<Line>,
    ) -> Result<(), String> {
        for f in fields {
            let field = self.item(f).ok_or("a field is not in the index")?;
            if field.visibility != Visibility::Public {
                continue;
            }
            let ItemEnum::StructField(ty) = &field.inner else {
                return Err("a field is not a field".into());
            };
            let cfgs = merge(cfgs, &cfgs_of(field)?);
            let text = format!(
                "{}{}pub field {}::{}: {}",
                cfg_prefix(&cfgs),
                attr_prefix(field),
                path.join("::"),
                field.name.clone().unwrap_or_default(),
                self.ty(ty)
            );
            out.push(Line::new(path, Rank::Member, text));
        }
        Ok(())
    }

    /// `pub variant Path::V(T)`, `pub variant Path::V { a: T }` or `pub variant Path::V = 1`.
    fn variant(&self, variant: &Item, name: &str, cfgs: &[String]) -> Result<String, String> {
        let ItemEnum::Variant(v) = &variant.inner else {
            return Err("a variant is not a variant".into());
        };
        let field = |id: &Id| -> Result<(String, String), String> {
            let field = self.item(id).ok_or("a variant field is not in the index")?;
            match &field.inner {
                ItemEnum::StructField(ty) => {
                    Ok((field.name.clone().unwrap_or_default(), self.ty(ty)))
                }
                _ => Err("a variant field is not a field".into()),
            }
        };
        let shape = match &v.kind {
            VariantKind::Plain => String::new(),
            VariantKind::Tuple(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|f| match f {
                        Some(f) => field(f).map(|(_, ty)| ty),
                        None => Ok("_".into()),
                    })
                    .collect::<Result<_, _>>()?;
                format!("({})", fields.join(", "))
            }
            VariantKind::Struct {
                fields,
                has_stripped_fields,
            } => {
                let mut parts: Vec<String> = fields
                    .iter()
                    .map(|f| field(f).map(|(n, ty)| format!("{n}: {ty}")))
                    .collect::<Result<_, _>>()?;
                if *has_stripped_fields {
                    parts.push("..".into());
                }
                format!(" {{ {} }}", parts.join(", "))
            }
        };
        let discriminant = v
            .discriminant
            .as_ref()
            .map(|d| format!(" = {}", d.value))
            .unwrap_or_default();
        let cfgs = merge(cfgs, &cfgs_of(variant)?);
        Ok(format!(
            "{}{}pub variant {name}{shape}{discriminant}",
            cfg_prefix(&cfgs),
            attr_prefix(variant)
        ))
    }

    /// The impls of the type `self_id` listed at `path`: inherent items, trait impls (auto
    /// traits included, blanket impls left out).
    fn impl_lines(
        &self,
        impls: &[Id],
        self_id: Id,
        path: &[String],
        cfgs: &[String],
        out: &mut Vec<Line>,
    ) -> Result<(), String> {
        for id in impls {
            let item = self.item(id).ok_or("an impl is not in the index")?;
            let ItemEnum::Impl(imp) = &item.inner else {
                return Err("an impl is not an impl".into());
            };
            if imp.blanket_impl.is_some() {
                continue;
            }
            let trait_name = imp.trait_.as_ref().map(|t| self.path_name(t.id, &t.path));
            if trait_name
                .as_deref()
                .is_some_and(|n| UNSTABLE_TRAITS.contains(&n))
            {
                continue;
            }
            if imp.is_synthetic {
                let auto = trait_name.as_deref().is_some_and(|n| {
                    AUTO_TRAITS.contains(&n.rsplit("::").next().unwrap_or_default())
                });
                if !auto {
                    continue;
                }
            }
            // rustdoc lists `impl From<A> for B` with both A and B; it belongs to B.
            if let Type::ResolvedPath(p) = &imp.for_
                && p.id != self_id
                && self.public_paths.contains_key(&p.id)
            {
                continue;
            }
            let cfgs = merge(cfgs, &cfgs_of(item)?);
            let self_ty = self.self_type(&imp.for_, self_id, path);
            match &imp.trait_ {
                None => {
                    let plain = imp.generics.params.is_empty()
                        && imp.generics.where_predicates.is_empty()
                        && self_ty == path.join("::");
                    let owner = if plain {
                        self_ty.clone()
                    } else {
                        format!("<{self_ty}>")
                    };
                    let outer = impl_predicates(&imp.generics);
                    for member in &imp.items {
                        let member = self
                            .item(member)
                            .ok_or("an impl item is not in the index")?;
                        if member.visibility != Visibility::Public {
                            continue;
                        }
                        if let Some(text) = self.inherent_item(member, &owner, &cfgs, &outer)? {
                            out.push(Line::new(path, Rank::Inherent, text));
                        }
                    }
                }
                Some(trait_) => {
                    let head = self.impl_head(imp, &self_ty);
                    out.push(Line::in_group(
                        path,
                        Rank::TraitImpl,
                        head.clone(),
                        0,
                        format!("{}{head}", cfg_prefix(&cfgs)),
                    ));
                    let derived = item.attrs.contains(&Attribute::AutomaticallyDerived);
                    if derived || imp.is_synthetic {
                        // A derive's or auto trait's members follow from the impl line.
                        continue;
                    }
                    let owner = format!("<{self_ty} as {}>", self.path(trait_));
                    for member in &imp.items {
                        let member = self
                            .item(member)
                            .ok_or("an impl item is not in the index")?;
                        if let Some(text) = self.assoc_item(member, &owner, &cfgs, false)? {
                            out.push(Line::in_group(path, Rank::TraitImpl, head.clone(), 1, text));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Impls of a local trait for types that are not listed themselves: foreign types,
    /// references, generics (blanket impls of the trait).
    fn implementor_lines(
        &self,
        impls: &[Id],
        path: &[String],
        cfgs: &[String],
        out: &mut Vec<Line>,
    ) -> Result<(), String> {
        for id in impls {
            let item = self.item(id).ok_or("an impl is not in the index")?;
            let ItemEnum::Impl(imp) = &item.inner else {
                return Err("an impl is not an impl".into());
            };
            if let Type::ResolvedPath(p) = &imp.for_ {
                let local = self.krate.paths.get(&p.id).is_some_and(|s| s.crate_id == 0)
                    || self.item(&p.id).is_some_and(|i| i.crate_id == 0);
                if local {
                    // Listed with the type, or the type is not public.
                    continue;
                }
            }
            let cfgs = merge(cfgs, &cfgs_of(item)?);
            let head = self.impl_head(imp, &self.ty(&imp.for_));
            out.push(Line::new(
                path,
                Rank::Implementor,
                format!("{}{head}", cfg_prefix(&cfgs)),
            ));
        }
        Ok(())
    }

    fn impl_head(&self, imp: &Impl, self_ty: &str) -> String {
        // rustdoc copies a type's parameter defaults into the impls it synthesizes; an impl
        // cannot have them.
        let mut generics = imp.generics.clone();
        for p in &mut generics.params {
            if let GenericParamDefKind::Type { default, .. } = &mut p.kind {
                *default = None;
            }
        }
        let (params, clause) = self.generics(&generics);
        let unsafety = if imp.is_unsafe { "unsafe " } else { "" };
        let negative = if imp.is_negative { "!" } else { "" };
        match &imp.trait_ {
            Some(t) => format!(
                "{unsafety}impl{params} {negative}{} for {self_ty}{clause}",
                self.path(t)
            ),
            None => format!("{unsafety}impl{params} {self_ty}{clause}"),
        }
    }

    /// The impl's self type, written with `path` when it is the listed type itself.
    fn self_type(&self, for_: &Type, self_id: Id, path: &[String]) -> String {
        match for_ {
            Type::ResolvedPath(p) if p.id == self_id => {
                format!("{}{}", path.join("::"), self.args(p.args.as_deref()))
            }
            other => self.ty(other),
        }
    }

    /// An inherent impl's associated item; `outer` are the impl's bounds, which the item
    /// needs as much as its own.
    fn inherent_item(
        &self,
        item: &Item,
        owner: &str,
        cfgs: &[String],
        outer: &[WherePredicate],
    ) -> Result<Option<String>, String> {
        let cfgs = merge(cfgs, &cfgs_of(item)?);
        let prefix = format!("{}{}", cfg_prefix(&cfgs), attr_prefix(item));
        let name = format!("{owner}::{}", item.name.clone().unwrap_or_default());
        Ok(match &item.inner {
            ItemEnum::Function(f) => Some(self.function(
                &format!("{prefix}pub "),
                &name,
                &f.header,
                &f.generics,
                &f.sig,
                outer,
            )),
            ItemEnum::AssocConst { type_, value } => Some(format!(
                "{prefix}pub const {name}: {}{}",
                self.ty(type_),
                assoc_value(value.as_deref())
            )),
            ItemEnum::AssocType { type_, .. } => Some(format!(
                "{prefix}pub type {name}{}",
                type_
                    .as_ref()
                    .map(|t| format!(" = {}", self.ty(t)))
                    .unwrap_or_default()
            )),
            _ => None,
        })
    }

    /// A trait's item (`in_trait`: a provided method shows `{ .. }`) or a trait impl's item.
    fn assoc_item(
        &self,
        item: &Item,
        owner: &str,
        cfgs: &[String],
        in_trait: bool,
    ) -> Result<Option<String>, String> {
        let cfgs = merge(cfgs, &cfgs_of(item)?);
        let prefix = format!("{}{}", cfg_prefix(&cfgs), attr_prefix(item));
        let name = format!("{owner}::{}", item.name.clone().unwrap_or_default());
        Ok(match &item.inner {
            ItemEnum::Function(f) => {
                let body = if in_trait && f.has_body {
                    " { .. }"
                } else {
                    ""
                };
                Some(format!(
                    "{}{body}",
                    self.function(&prefix, &name, &f.header, &f.generics, &f.sig, &[])
                ))
            }
            ItemEnum::AssocConst { type_, value } => Some(format!(
                "{prefix}const {name}: {}{}",
                self.ty(type_),
                assoc_value(value.as_deref())
            )),
            ItemEnum::AssocType {
                generics,
                bounds,
                type_,
            } => {
                let (params, clause) = self.generics(generics);
                Some(format!(
                    "{prefix}type {name}{params}{}{clause}{}",
                    self.bounds_suffix(bounds),
                    type_
                        .as_ref()
                        .map(|t| format!(" = {}", self.ty(t)))
                        .unwrap_or_default()
                ))
            }
            _ => None,
        })
    }

    /// `{lead}fn {name}<..>(..) -> ..` with `outer` predicates before the function's own.
    fn function(
        &self,
        lead: &str,
        name: &str,
        header: &FunctionHeader,
        generics: &Generics,
        sig: &FunctionSignature,
        outer: &[WherePredicate],
    ) -> String {
        let (params, _) = self.generics(generics);
        let mut predicates = outer.to_vec();
        predicates.extend(generics.where_predicates.iter().cloned());
        let clause = self.where_clause(&predicates);
        format!(
            "{lead}{}fn {name}{params}({}){}{clause}",
            self.header(header),
            self.inputs(sig),
            self.output(sig.output.as_ref())
        )
    }

    fn header(&self, header: &FunctionHeader) -> String {
        let mut out = String::new();
        if header.is_const {
            out.push_str("const ");
        }
        if header.is_async {
            out.push_str("async ");
        }
        if header.is_unsafe {
            out.push_str("unsafe ");
        }
        out.push_str(&abi(&header.abi));
        out
    }

    fn inputs(&self, sig: &FunctionSignature) -> String {
        let mut inputs: Vec<String> = sig
            .inputs
            .iter()
            .map(|(name, ty)| match (name.as_str(), ty) {
                ("self", Type::Generic(s)) if s == "Self" => "self".to_owned(),
                (
                    "self",
                    Type::BorrowedRef {
                        lifetime,
                        is_mutable,
                        type_,
                    },
                ) if matches!(&**type_, Type::Generic(s) if s == "Self") => format!(
                    "&{}{}self",
                    lifetime
                        .as_ref()
                        .map(|l| format!("{l} "))
                        .unwrap_or_default(),
                    if *is_mutable { "mut " } else { "" }
                ),
                _ => format!("{name}: {}", self.ty(ty)),
            })
            .collect();
        if sig.is_c_variadic {
            inputs.push("...".into());
        }
        inputs.join(", ")
    }

    fn output(&self, output: Option<&Type>) -> String {
        match output {
            None => String::new(),
            Some(Type::Tuple(t)) if t.is_empty() => String::new(),
            Some(ty) => format!(" -> {}", self.ty(ty)),
        }
    }

    /// `(<params>, where-clause)`; synthetic params (argument-position `impl Trait`) are shown
    /// where they are written instead.
    fn generics(&self, generics: &Generics) -> (String, String) {
        (
            self.params(&generics.params),
            self.where_clause(&generics.where_predicates),
        )
    }

    fn params(&self, params: &[GenericParamDef]) -> String {
        let params: Vec<String> = params
            .iter()
            .filter(|p| {
                !matches!(
                    p.kind,
                    GenericParamDefKind::Type {
                        is_synthetic: true,
                        ..
                    }
                )
            })
            .map(|p| self.param(p))
            .collect();
        if params.is_empty() {
            String::new()
        } else {
            format!("<{}>", params.join(", "))
        }
    }

    fn param(&self, param: &GenericParamDef) -> String {
        match &param.kind {
            GenericParamDefKind::Lifetime { outlives } => {
                if outlives.is_empty() {
                    param.name.clone()
                } else {
                    format!("{}: {}", param.name, outlives.join(" + "))
                }
            }
            GenericParamDefKind::Type {
                bounds, default, ..
            } => format!(
                "{}{}{}",
                param.name,
                self.bounds_suffix(bounds),
                default
                    .as_ref()
                    .map(|d| format!(" = {}", self.ty(d)))
                    .unwrap_or_default()
            ),
            GenericParamDefKind::Const { type_, default } => format!(
                "const {}: {}{}",
                param.name,
                self.ty(type_),
                default
                    .as_ref()
                    .map(|d| format!(" = {d}"))
                    .unwrap_or_default()
            ),
        }
    }

    fn where_clause(&self, predicates: &[WherePredicate]) -> String {
        if predicates.is_empty() {
            return String::new();
        }
        let predicates: Vec<String> = predicates.iter().map(|p| self.predicate(p)).collect();
        format!(" where {}", predicates.join(", "))
    }

    fn predicate(&self, predicate: &WherePredicate) -> String {
        match predicate {
            WherePredicate::BoundPredicate {
                type_,
                bounds,
                generic_params,
            } => format!(
                "{}{}:{}",
                self.for_lifetimes(generic_params),
                self.ty(type_),
                if bounds.is_empty() {
                    String::new()
                } else {
                    format!(" {}", self.bounds(bounds))
                }
            ),
            WherePredicate::LifetimePredicate { lifetime, outlives } => {
                format!("{lifetime}: {}", outlives.join(" + "))
            }
            WherePredicate::EqPredicate { lhs, rhs } => {
                format!("{} = {}", self.ty(lhs), self.term(rhs))
            }
        }
    }

    fn for_lifetimes(&self, params: &[GenericParamDef]) -> String {
        if params.is_empty() {
            String::new()
        } else {
            let params: Vec<String> = params.iter().map(|p| self.param(p)).collect();
            format!("for<{}> ", params.join(", "))
        }
    }

    /// `: A + B`, or nothing without bounds.
    fn bounds_suffix(&self, bounds: &[GenericBound]) -> String {
        if bounds.is_empty() {
            String::new()
        } else {
            format!(": {}", self.bounds(bounds))
        }
    }

    fn bounds(&self, bounds: &[GenericBound]) -> String {
        let bounds: Vec<String> = bounds.iter().map(|b| self.bound(b)).collect();
        bounds.join(" + ")
    }

    fn bound(&self, bound: &GenericBound) -> String {
        match bound {
            GenericBound::TraitBound {
                trait_,
                generic_params,
                modifier,
            } => {
                let modifier = match modifier {
                    TraitBoundModifier::None => "",
                    TraitBoundModifier::Maybe => "?",
                    TraitBoundModifier::MaybeConst => "[const] ",
                };
                format!(
                    "{}{modifier}{}",
                    self.for_lifetimes(generic_params),
                    self.path(trait_)
                )
            }
            GenericBound::Outlives(lifetime) => lifetime.clone(),
            GenericBound::Use(args) => {
                let args: Vec<&str> = args
                    .iter()
                    .map(|a| match a {
                        rustdoc_types::PreciseCapturingArg::Lifetime(l) => l.as_str(),
                        rustdoc_types::PreciseCapturingArg::Param(p) => p.as_str(),
                    })
                    .collect();
                format!("use<{}>", args.join(", "))
            }
        }
    }

    fn term(&self, term: &Term) -> String {
        match term {
            Term::Type(ty) => self.ty(ty),
            Term::Constant(c) => c.expr.clone(),
        }
    }

    /// A type as written in Rust, with every path resolved.
    fn ty(&self, ty: &Type) -> String {
        match ty {
            Type::ResolvedPath(p) => self.path(p),
            Type::DynTrait(d) => {
                let mut parts: Vec<String> = d
                    .traits
                    .iter()
                    .map(|t| {
                        format!(
                            "{}{}",
                            self.for_lifetimes(&t.generic_params),
                            self.path(&t.trait_)
                        )
                    })
                    .collect();
                if let Some(lifetime) = &d.lifetime {
                    parts.push(lifetime.clone());
                }
                format!("dyn {}", parts.join(" + "))
            }
            Type::Generic(name) | Type::Primitive(name) => name.clone(),
            Type::FunctionPointer(f) => format!(
                "{}{}fn({}){}",
                self.for_lifetimes(&f.generic_params),
                self.header(&f.header),
                self.fn_pointer_inputs(&f.sig),
                self.output(f.sig.output.as_ref())
            ),
            Type::Tuple(types) => match types.as_slice() {
                [one] => format!("({},)", self.ty(one)),
                _ => {
                    let types: Vec<String> = types.iter().map(|t| self.ty(t)).collect();
                    format!("({})", types.join(", "))
                }
            },
            Type::Slice(t) => format!("[{}]", self.ty(t)),
            Type::Array { type_, len } => format!("[{}; {len}]", self.ty(type_)),
            Type::Pat {
                type_,
                __pat_unstable_do_not_use: pat,
            } => format!("{} is {pat}", self.ty(type_)),
            Type::ImplTrait(bounds) => format!("impl {}", self.bounds(bounds)),
            Type::Infer => "_".into(),
            Type::RawPointer { is_mutable, type_ } => format!(
                "*{} {}",
                if *is_mutable { "mut" } else { "const" },
                self.ty(type_)
            ),
            Type::BorrowedRef {
                lifetime,
                is_mutable,
                type_,
            } => format!(
                "&{}{}{}",
                lifetime
                    .as_ref()
                    .map(|l| format!("{l} "))
                    .unwrap_or_default(),
                if *is_mutable { "mut " } else { "" },
                self.ty(type_)
            ),
            Type::QualifiedPath {
                name,
                args,
                self_type,
                trait_,
            } => {
                let args = self.args(args.as_deref());
                match trait_ {
                    // `Self::Name` inside a trait has an empty trait path.
                    Some(t) if !t.path.is_empty() => {
                        format!("<{} as {}>::{name}{args}", self.ty(self_type), self.path(t))
                    }
                    _ => format!("{}::{name}{args}", self.ty(self_type)),
                }
            }
        }
    }

    fn fn_pointer_inputs(&self, sig: &FunctionSignature) -> String {
        let mut inputs: Vec<String> = sig.inputs.iter().map(|(_, t)| self.ty(t)).collect();
        if sig.is_c_variadic {
            inputs.push("...".into());
        }
        inputs.join(", ")
    }

    /// A path with its generic arguments.
    fn path(&self, path: &rustdoc_types::Path) -> String {
        format!(
            "{}{}",
            self.path_name(path.id, &path.path),
            self.args(path.args.as_deref())
        )
    }

    /// The public path of a local item, else rustdoc's full path, else the path as written.
    fn path_name(&self, id: Id, written: &str) -> String {
        if let Some(path) = self.public_paths.get(&id) {
            return path.join("::");
        }
        if let Some(summary) = self.krate.paths.get(&id) {
            return summary.path.join("::");
        }
        written.trim_start_matches("$crate::").to_owned()
    }

    fn args(&self, args: Option<&GenericArgs>) -> String {
        match args {
            None => String::new(),
            Some(GenericArgs::AngleBracketed { args, constraints }) => {
                let mut parts: Vec<String> = args.iter().map(|a| self.arg(a)).collect();
                parts.extend(constraints.iter().map(|c| {
                    let args = self.args(c.args.as_deref());
                    match &c.binding {
                        rustdoc_types::AssocItemConstraintKind::Equality(term) => {
                            format!("{}{args} = {}", c.name, self.term(term))
                        }
                        rustdoc_types::AssocItemConstraintKind::Constraint(bounds) => {
                            format!("{}{args}: {}", c.name, self.bounds(bounds))
                        }
                    }
                }));
                if parts.is_empty() {
                    String::new()
                } else {
                    format!("<{}>", parts.join(", "))
                }
            }
            Some(GenericArgs::Parenthesized { inputs, output }) => {
                let inputs: Vec<String> = inputs.iter().map(|t| self.ty(t)).collect();
                format!("({}){}", inputs.join(", "), self.output(output.as_ref()))
            }
            Some(GenericArgs::ReturnTypeNotation) => "(..)".into(),
        }
    }

    fn arg(&self, arg: &GenericArg) -> String {
        match arg {
            GenericArg::Lifetime(l) => l.clone(),
            GenericArg::Type(t) => self.ty(t),
            GenericArg::Const(c) => c.expr.clone(),
            GenericArg::Infer => "_".into(),
        }
    }
}

/// An inherent impl's parameters as predicates (`O: Trait`, `'a: 'b`), so its items can be
/// listed on their own lines without losing the bounds that make them callable.
fn impl_predicates(generics: &Generics) -> Vec<WherePredicate> {
    let mut out: Vec<WherePredicate> = generics
        .params
        .iter()
        .filter_map(|p| match &p.kind {
            GenericParamDefKind::Type { bounds, .. } if !bounds.is_empty() => {
                Some(WherePredicate::BoundPredicate {
                    type_: Type::Generic(p.name.clone()),
                    bounds: bounds.clone(),
                    generic_params: Vec::new(),
                })
            }
            GenericParamDefKind::Lifetime { outlives } if !outlives.is_empty() => {
                Some(WherePredicate::LifetimePredicate {
                    lifetime: p.name.clone(),
                    outlives: outlives.clone(),
                })
            }
            _ => None,
        })
        .collect();
    out.extend(generics.where_predicates.iter().cloned());
    out
}

fn child_path(path: &[String], name: &str) -> Vec<String> {
    let mut path = path.to_vec();
    path.push(name.to_owned());
    path
}

/// `a` then the items of `b` that `a` lacks.
fn merge(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = a.to_vec();
    for c in b {
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    out
}

fn cfg_prefix(cfgs: &[String]) -> String {
    cfgs.iter().map(|c| format!("#[cfg({c})] ")).collect()
}

/// `#[non_exhaustive]` and `#[repr(..)]`: attributes whose change can break callers.
fn attr_prefix(item: &Item) -> String {
    let mut out = String::new();
    for attr in &item.attrs {
        match attr {
            Attribute::NonExhaustive => out.push_str("#[non_exhaustive] "),
            Attribute::Repr(repr) => {
                let mut parts = Vec::new();
                match repr.kind {
                    ReprKind::Rust => {}
                    ReprKind::C => parts.push("C".to_owned()),
                    ReprKind::Transparent => parts.push("transparent".to_owned()),
                    ReprKind::Simd => parts.push("simd".to_owned()),
                }
                parts.extend(repr.int.clone());
                if let Some(align) = repr.align {
                    parts.push(format!("align({align})"));
                }
                match repr.packed {
                    Some(1) => parts.push("packed".into()),
                    Some(n) => parts.push(format!("packed({n})")),
                    None => {}
                }
                if !parts.is_empty() {
                    out.push_str(&format!("#[repr({})] ", parts.join(", ")));
                }
            }
            _ => {}
        }
    }
    out
}

/// ` = value` for an associated constant; rustdoc writes `_` for one it does not show.
fn assoc_value(value: Option<&str>) -> String {
    match value {
        Some(v) if v != "_" => format!(" = {v}"),
        _ => String::new(),
    }
}

/// ` = value` for a constant: the evaluated value, else a literal as written; nothing for an
/// expression rustdoc does not evaluate.
fn const_value(value: Option<&str>, expr: &str, is_literal: bool) -> String {
    match value {
        Some(v) if v != "_" => format!(" = {v}"),
        _ if is_literal && expr != "_" => format!(" = {expr}"),
        _ => String::new(),
    }
}

fn abi(abi: &Abi) -> String {
    let (name, unwind) = match abi {
        Abi::Rust => return String::new(),
        Abi::C { unwind } => ("C", unwind),
        Abi::Cdecl { unwind } => ("cdecl", unwind),
        Abi::Stdcall { unwind } => ("stdcall", unwind),
        Abi::Fastcall { unwind } => ("fastcall", unwind),
        Abi::Aapcs { unwind } => ("aapcs", unwind),
        Abi::Win64 { unwind } => ("win64", unwind),
        Abi::SysV64 { unwind } => ("sysv64", unwind),
        Abi::System { unwind } => ("system", unwind),
        Abi::Other(other) => return format!("extern {other:?} "),
    };
    format!("extern \"{name}{}\" ", if *unwind { "-unwind" } else { "" })
}

fn kind_keyword(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Module => "mod",
        ItemKind::ExternCrate => "extern crate",
        ItemKind::Use => "use",
        ItemKind::Struct => "struct",
        ItemKind::StructField => "field",
        ItemKind::Union => "union",
        ItemKind::Enum => "enum",
        ItemKind::Variant => "variant",
        ItemKind::Function => "fn",
        ItemKind::TypeAlias => "type",
        ItemKind::Constant => "const",
        ItemKind::Trait => "trait",
        ItemKind::TraitAlias => "trait alias",
        ItemKind::Impl => "impl",
        ItemKind::Static => "static",
        ItemKind::ExternType => "extern type",
        ItemKind::Macro => "macro",
        ItemKind::ProcAttribute => "proc_macro_attribute",
        ItemKind::ProcDerive => "proc_macro_derive",
        ItemKind::AssocConst => "const",
        ItemKind::AssocType => "type",
        ItemKind::Primitive => "primitive",
        ItemKind::Keyword => "keyword",
        ItemKind::Attribute => "attribute",
    }
}

// Feature gates. rustdoc keeps a `#[cfg]` as the text of rustc's parsed form, e.g.
// `#[attr = CfgTrace([NameValue { name: "feature", value: Some("redis"), span: .. }])]`;
// the span is dropped so the listing does not move when code does.

/// The cfg predicates on `item`, each as written in `#[cfg(..)]`.
fn cfgs_of(item: &Item) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for attr in &item.attrs {
        if let Attribute::Other(text) = attr {
            for cfg in parse_cfg_attr(text)? {
                if !out.contains(&cfg) {
                    out.push(cfg);
                }
            }
        }
    }
    Ok(out)
}

/// The predicates of one attribute's text, or none when it is no cfg.
pub fn parse_cfg_attr(text: &str) -> Result<Vec<String>, String> {
    if let Some(inner) = text
        .strip_prefix("#[cfg(")
        .and_then(|t| t.strip_suffix(")]"))
    {
        return Ok(vec![inner.to_owned()]);
    }
    let Some(inner) = text
        .strip_prefix("#[attr = CfgTrace(")
        .and_then(|t| t.strip_suffix(")]"))
    else {
        return Ok(Vec::new());
    };
    let mut parser = CfgParser {
        text: inner,
        pos: 0,
    };
    let entries = parser
        .list()
        .and_then(|entries| {
            if parser.pos == inner.len() {
                Ok(entries)
            } else {
                Err("trailing text".to_owned())
            }
        })
        .map_err(|e| format!("unreadable cfg attribute `{text}`: {e}"))?;
    Ok(entries)
}

/// Reads rustc's debug form of cfg predicates.
struct CfgParser<'a> {
    text: &'a str,
    pos: usize,
}

impl CfgParser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), String> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(format!("expected `{token}` at `{}`", self.rest()))
        }
    }

    /// `[entry, entry]`.
    fn list(&mut self) -> Result<Vec<String>, String> {
        self.expect("[")?;
        let mut entries = Vec::new();
        if self.eat("]") {
            return Ok(entries);
        }
        loop {
            entries.push(self.entry()?);
            if self.eat("]") {
                return Ok(entries);
            }
            self.expect(", ")?;
        }
    }

    fn entry(&mut self) -> Result<String, String> {
        let word: String = self
            .rest()
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        self.pos += word.len();
        match word.as_str() {
            "NameValue" => {
                self.expect(" { name: ")?;
                let name = self.name()?;
                self.expect(", value: ")?;
                let value = if self.eat("None") {
                    None
                } else {
                    self.expect("Some(")?;
                    let value = self.string()?;
                    self.expect(")")?;
                    Some(value)
                };
                self.skip_span('}')?;
                self.expect("}")?;
                Ok(match value {
                    Some(value) => format!("{name} = {value}"),
                    None => name,
                })
            }
            "All" | "Any" => {
                self.expect("(")?;
                let entries = self.list()?;
                self.skip_span(')')?;
                self.expect(")")?;
                Ok(format!("{}({})", word.to_lowercase(), entries.join(", ")))
            }
            "Not" => {
                self.expect("(")?;
                let entry = self.entry()?;
                self.skip_span(')')?;
                self.expect(")")?;
                Ok(format!("not({entry})"))
            }
            "Bool" => {
                self.expect("(")?;
                let value = if self.eat("true") {
                    "true"
                } else {
                    self.expect("false")?;
                    "false"
                };
                self.skip_span(')')?;
                self.expect(")")?;
                Ok(value.to_owned())
            }
            other => Err(format!("unknown cfg predicate `{other}`")),
        }
    }

    /// A name, quoted (`"feature"`) or bare.
    fn name(&mut self) -> Result<String, String> {
        if self.rest().starts_with('"') {
            let quoted = self.string()?;
            Ok(quoted[1..quoted.len() - 1].to_owned())
        } else {
            let name: String = self
                .rest()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            self.pos += name.len();
            if name.is_empty() {
                Err(format!("expected a name at `{}`", self.rest()))
            } else {
                Ok(name)
            }
        }
    }

    /// A quoted string, escapes kept, quotes included.
    fn string(&mut self) -> Result<String, String> {
        let rest = self.rest();
        if !rest.starts_with('"') {
            return Err(format!("expected a string at `{rest}`"));
        }
        let mut escaped = false;
        for (i, c) in rest.char_indices().skip(1) {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    let s = rest[..=i].to_owned();
                    self.pos += i + 1;
                    return Ok(s);
                }
                _ => {}
            }
        }
        Err(format!("unterminated string at `{rest}`"))
    }

    /// Skips `, span: ..` (or a bare span) up to the `close` that ends the entry.
    fn skip_span(&mut self, close: char) -> Result<(), String> {
        let mut depth = 0usize;
        for (i, c) in self.rest().char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth > 0 => depth -= 1,
                c if c == close => {
                    self.pos += i;
                    return Ok(());
                }
                ')' | ']' | '}' => return Err(format!("unbalanced `{c}`")),
                _ => {}
            }
        }
        Err(format!("expected `{close}`"))
    }
}

#[cfg(test)]
mod tests;
