//! `specs/manifest.toml`: which upstream specs the client is generated from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;

/// The whole manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Raw-file base address; a file is at `{upstream}/{commit}/{path}`.
    pub upstream: String,
    /// One entry per generated module.
    #[serde(rename = "spec")]
    pub specs: Vec<SpecEntry>,
}

/// One pinned upstream spec and how to name its operations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecEntry {
    /// Rust module name in the generated crates.
    pub module: String,
    /// Path inside the upstream repository.
    pub path: String,
    /// Upstream commit the file is pinned at.
    pub commit: String,
    /// Expected sha256 of the file, lowercase hex.
    pub sha256: String,
    /// The API the module is a version of, e.g. `objects`: the modules of one family at
    /// different versions share it. Code generation fails without it.
    #[serde(default)]
    pub family: Option<String>,
    /// The version of the family the spec describes: `v3`, `v4` or a date, `2026-09`. Code
    /// generation fails without it.
    #[serde(default)]
    pub version: Option<String>,
    /// Project-owned spec fragments (relative to `specs/`) merged into this module.
    #[serde(default)]
    pub extra: Vec<String>,
    /// "METHOD /path" to the operation's method name and kind.
    pub methods: BTreeMap<String, Method>,
}

/// One operation as the manifest declares it: `{ name = "get", kind = "read" }`. A bare
/// name (`"get"`) reads, so that code generation can say which kind is missing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "MethodEntry")]
pub struct Method {
    /// The Rust method name.
    pub name: String,
    /// What the operation is, as written (checked by [`Kind::parse`]).
    pub kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MethodEntry {
    Name(String),
    Declared {
        name: String,
        #[serde(default)]
        kind: Option<String>,
    },
}

impl From<MethodEntry> for Method {
    fn from(entry: MethodEntry) -> Self {
        match entry {
            MethodEntry::Name(name) => Method { name, kind: None },
            MethodEntry::Declared { name, kind } => Method { name, kind },
        }
    }
}

/// What an operation is: whether it may be resent after it may have reached HubSpot, and
/// which of HubSpot's rate limits it counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Reads nothing but reads: resending is harmless.
    Read,
    /// A search: a read that counts against HubSpot's own search limit.
    Search,
    /// A write that leaves the same state however often it arrives (update, upsert,
    /// archive, associate).
    Idempotent,
    /// A write each arrival of which makes something new (a record, a label, a report):
    /// never resent once it may have reached HubSpot.
    Create,
}

impl Kind {
    /// The names the manifest uses, in the order the manifest's header lists them.
    pub const NAMES: [&'static str; 4] = ["read", "search", "idempotent", "create"];

    /// The kind named `name` in the manifest.
    pub fn parse(name: &str) -> Option<Kind> {
        match name {
            "read" => Some(Kind::Read),
            "search" => Some(Kind::Search),
            "idempotent" => Some(Kind::Idempotent),
            "create" => Some(Kind::Create),
            _ => None,
        }
    }
}

/// Whether `version` is a version the manifest accepts: `v` and a number, or `YYYY-MM`.
pub fn is_version(version: &str) -> bool {
    let bytes = version.as_bytes();
    let numbered = bytes.len() > 1 && bytes[0] == b'v' && bytes[1..].iter().all(u8::is_ascii_digit);
    let dated = bytes.len() == 7
        && bytes[4] == b'-'
        && bytes[..4].iter().chain(&bytes[5..]).all(u8::is_ascii_digit)
        && matches!(
            &version[5..],
            "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12"
        );
    numbered || dated
}

impl Manifest {
    /// Reads and checks a manifest file.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let manifest: Manifest = toml::from_str(&text).map_err(|e| Error::Manifest {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        manifest.validate(path)?;
        Ok(manifest)
    }

    fn validate(&self, path: &Path) -> Result<(), Error> {
        let fail = |message: String| Error::Manifest {
            path: path.to_owned(),
            message,
        };
        let mut modules = std::collections::BTreeSet::new();
        for spec in &self.specs {
            if !is_rust_ident(&spec.module) {
                return Err(fail(format!(
                    "module `{}` is not a Rust identifier",
                    spec.module
                )));
            }
            if spec.module == "shared" {
                return Err(fail(
                    "module name `shared` is reserved for the types several specs share".into(),
                ));
            }
            // A module may name a submodule of `shared`, beside the generator's own modules.
            if RESERVED_IN_SHARED.contains(&spec.module.as_str()) {
                return Err(fail(format!(
                    "module name `{}` is reserved: the generated types have a module of that name",
                    spec.module
                )));
            }
            if !modules.insert(spec.module.as_str()) {
                return Err(fail(format!("module `{}` appears twice", spec.module)));
            }
            if spec.sha256.len() != 64 || !spec.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(fail(format!(
                    "module `{}`: sha256 is not 64 hex digits",
                    spec.module
                )));
            }
            if spec
                .path
                .split('/')
                .any(|part| part == ".." || part.is_empty())
            {
                return Err(fail(format!(
                    "module `{}`: path `{}` is not a plain relative path",
                    spec.module, spec.path
                )));
            }
            for (operation, method) in &spec.methods {
                let name = &method.name;
                if !is_rust_ident(name) {
                    return Err(fail(format!(
                        "module `{}`: method name `{name}` is not a Rust identifier",
                        spec.module
                    )));
                }
                if let Some(kind) = &method.kind
                    && Kind::parse(kind).is_none()
                {
                    return Err(fail(format!(
                        "module `{}`: operation `{operation}` (`{name}`) has kind `{kind}`, \
                         which is none of {}",
                        spec.module,
                        Kind::NAMES.join(", ")
                    )));
                }
            }
            if let Some(family) = &spec.family
                && !is_rust_ident(family)
            {
                return Err(fail(format!(
                    "module `{}`: family `{family}` is not a Rust identifier",
                    spec.module
                )));
            }
            if let Some(version) = &spec.version
                && !is_version(version)
            {
                return Err(fail(format!(
                    "module `{}`: version `{version}` is neither `v` and a number nor `YYYY-MM`",
                    spec.module
                )));
            }
        }
        Ok(())
    }
}

impl SpecEntry {
    /// "METHOD /path" to method name, as normalization names the operations.
    pub fn method_names(&self) -> BTreeMap<String, String> {
        self.methods
            .iter()
            .map(|(operation, method)| (operation.clone(), method.name.clone()))
            .collect()
    }

    /// Where the pulled copy of this spec lives below `pulled_dir`.
    pub fn pulled_path(&self, pulled_dir: &Path) -> PathBuf {
        pulled_dir.join(&self.path)
    }

    /// The download address under `base`, with each path segment percent-encoded.
    pub fn url(&self, base: &str) -> String {
        let encoded: Vec<String> = self.path.split('/').map(encode_segment).collect();
        format!(
            "{}/{}/{}",
            base.trim_end_matches('/'),
            self.commit,
            encoded.join("/")
        )
    }
}

/// Modules the generator writes beside the types it generates.
const RESERVED_IN_SHARED: [&str; 3] = ["builder", "defaults", "error"];

fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn is_rust_ident(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_lowercase())
        && chars.all(|c| c == '_' || c.is_ascii_lowercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encodes_spaces_in_upstream_paths() {
        let entry = SpecEntry {
            module: "labels".into(),
            path: "PublicApiSpecs/CRM/Associations Schema/v4/a.json".into(),
            commit: "abc".into(),
            sha256: "0".repeat(64),
            family: None,
            version: None,
            extra: vec![],
            methods: BTreeMap::new(),
        };
        assert_eq!(
            entry.url("http://127.0.0.1:9/base/"),
            "http://127.0.0.1:9/base/abc/PublicApiSpecs/CRM/Associations%20Schema/v4/a.json"
        );
    }

    #[test]
    fn the_project_manifest_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/manifest.toml");
        let manifest = Manifest::load(&path).unwrap();
        let modules: Vec<_> = manifest.specs.iter().map(|s| s.module.as_str()).collect();
        assert_eq!(
            modules,
            [
                "leads",
                "associations",
                "association_labels",
                "properties",
                "objects",
                "objects_2026_09",
                "associations_2026_09",
                "association_labels_2026_09",
                "properties_2026_09",
                "schemas",
                "schemas_2026_09",
                "pipelines",
                "pipelines_2026_09",
                "owners",
                "owners_2026_09",
                "property_validations",
                "property_validations_2026_09",
            ]
        );
    }

    fn validated(module: &str) -> Result<(), Error> {
        let text = format!(
            "upstream = \"https://example.test\"\n\
             [[spec]]\nmodule = \"{module}\"\npath = \"a/b.json\"\ncommit = \"c\"\n\
             sha256 = \"{}\"\n[spec.methods]\n\"GET /x\" = \"get\"\n",
            "0".repeat(64)
        );
        let manifest: Manifest = toml::from_str(&text).unwrap();
        manifest.validate(Path::new("manifest.toml"))
    }

    #[test]
    fn module_names_the_shared_types_need_are_reserved() {
        validated("things").unwrap();
        // `shared` is the module itself; the others are modules the generator writes in it,
        // which a submodule named after a spec module would clash with.
        for module in ["shared", "builder", "defaults", "error"] {
            let message = validated(module).unwrap_err().to_string();
            assert!(
                message.contains(&format!("module name `{module}` is reserved")),
                "{module}: {message}"
            );
        }
    }

    #[test]
    fn versions_are_a_number_or_a_month() {
        for good in ["v3", "v4", "v10", "2026-09", "2027-03"] {
            assert!(is_version(good), "{good}");
        }
        for bad in [
            "",
            "v",
            "3",
            "V3",
            "2026-9",
            "2026-13",
            "2026_09",
            "2026-09-01",
            "latest",
        ] {
            assert!(!is_version(bad), "{bad}");
        }
    }
}
