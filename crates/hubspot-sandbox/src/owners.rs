//! The account's owners: the users (and queues) records are assigned to through
//! `hubspot_owner_id`, served by the owners API (owners spec, v3 and 2026-09 alike).

use serde_json::{Value, json};

/// When the sandbox's owners were created and last updated.
const OWNERS_SINCE: &str = "2024-01-15T09:30:00.000Z";

/// A team an owner belongs to (the spec's `PublicTeam`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Team {
    id: String,
    name: String,
    primary: bool,
}

/// An owner of the sandbox's account, added with
/// [`SandboxConfig::owner`](crate::SandboxConfig::owner): a user records can be assigned to
/// (`hubspot_owner_id` takes its id), or, archived, a deactivated one they no longer can.
///
/// ```
/// use hubspot_sandbox::{Owner, SandboxConfig};
///
/// let config = SandboxConfig::new().owner(
///     Owner::person("90210001", "grace@example.com")
///         .name("Grace", "Hopper")
///         .user_id(7_000_001)
///         .team("3001", "Enterprise sales", true),
/// );
/// # let _ = config;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub(crate) id: String,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    user_id: Option<i32>,
    teams: Vec<Team>,
    archived: bool,
    /// `PERSON` or `QUEUE` (spec).
    kind: &'static str,
}

impl Owner {
    /// A user (`type: PERSON`) with owner id `id` (digits: the spec types owner ids as 32-bit
    /// integers) and an email address, active.
    pub fn person(id: impl Into<String>, email: impl Into<String>) -> Self {
        Owner {
            id: id.into().trim().to_string(),
            email: email.into(),
            first_name: None,
            last_name: None,
            user_id: None,
            teams: Vec::new(),
            archived: false,
            kind: "PERSON",
        }
    }

    /// First and last name.
    pub fn name(mut self, first: impl Into<String>, last: impl Into<String>) -> Self {
        self.first_name = Some(first.into());
        self.last_name = Some(last.into());
        self
    }

    /// The user id (`userId`) of the owner's HubSpot user.
    pub fn user_id(mut self, user_id: i32) -> Self {
        self.user_id = Some(user_id);
        self
    }

    /// A team the owner is in; `primary` for the owner's main team.
    pub fn team(mut self, id: impl Into<String>, name: impl Into<String>, primary: bool) -> Self {
        self.teams.push(Team {
            id: id.into(),
            name: name.into(),
            primary,
        });
        self
    }

    /// A deactivated user: listed only with `archived=true`, and not an owner records can be
    /// assigned to.
    pub fn archived(mut self) -> Self {
        self.archived = true;
        self
    }

    /// The owner in the spec's `PublicOwner` shape. `userIdIncludingInactive` is the user id
    /// whether or not the user is active; `userId` only while it is.
    pub(crate) fn to_json(&self) -> Value {
        let teams: Vec<Value> = self
            .teams
            .iter()
            .map(|t| json!({"id": t.id, "name": t.name, "primary": t.primary}))
            .collect();
        let mut v = json!({
            "id": self.id,
            "email": self.email,
            "type": self.kind,
            "createdAt": OWNERS_SINCE,
            "updatedAt": OWNERS_SINCE,
            "archived": self.archived,
        });
        for (key, value) in [
            ("firstName", &self.first_name),
            ("lastName", &self.last_name),
        ] {
            if let Some(value) = value {
                v[key] = json!(value);
            }
        }
        if let Some(user) = self.user_id {
            v["userIdIncludingInactive"] = json!(user);
            if !self.archived {
                v["userId"] = json!(user);
            }
        }
        if !teams.is_empty() {
            v["teams"] = json!(teams);
        }
        v
    }

    /// The owner id as a number, for ordering and paging.
    fn number(&self) -> u64 {
        self.id.parse().unwrap_or(u64::MAX)
    }
}

/// The owners every sandbox starts with: three users in two teams (one of them in both).
fn seeded() -> Vec<Owner> {
    vec![
        Owner::person("52550153", "ada.lovelace@example.com")
            .name("Ada", "Lovelace")
            .user_id(9_586_504)
            .team("1001", "Sales", true),
        Owner::person("52550154", "alan.turing@example.com")
            .name("Alan", "Turing")
            .user_id(9_586_505)
            .team("1001", "Sales", true)
            .team("1002", "Support", false),
        Owner::person("52550155", "katherine.johnson@example.com")
            .name("Katherine", "Johnson")
            .user_id(9_586_506)
            .team("1002", "Support", true),
    ]
}

/// The account's owners, by owner id.
#[derive(Debug, Clone)]
pub(crate) struct AccountOwners {
    owners: Vec<Owner>,
}

impl Default for AccountOwners {
    fn default() -> Self {
        AccountOwners::new(Vec::new()).expect("the seeded owners are valid")
    }
}

impl AccountOwners {
    /// The seeded owners and `configured` ones; an owner id that is not a positive 32-bit
    /// integer (spec: `ownerId` is `int32`), or one given twice, is refused.
    pub fn new(configured: Vec<Owner>) -> Result<Self, String> {
        let mut owners = seeded();
        for owner in configured {
            if !owner.id.bytes().all(|b| b.is_ascii_digit())
                || owner.id.parse::<i32>().map_or(true, |n| n <= 0)
            {
                return Err(format!(
                    "owner: {:?} is not an owner id (a positive 32-bit integer)",
                    owner.id
                ));
            }
            if owners.iter().any(|o| o.id == owner.id) {
                return Err(format!("owner: the id {} is given twice", owner.id));
            }
            owners.push(owner);
        }
        owners.sort_by_key(Owner::number);
        Ok(AccountOwners { owners })
    }

    /// Whether `id` is an active owner's id: what `hubspot_owner_id` takes.
    pub fn is_active(&self, id: &str) -> bool {
        self.owners.iter().any(|o| o.id == id && !o.archived)
    }

    /// The owners a list shows, by id from `after` on (a numeric cursor): the archived ones
    /// or the active ones, those with `email` (compared without case) when one is given.
    pub fn listed<'a>(
        &'a self,
        archived: bool,
        email: Option<&'a str>,
        after: u64,
    ) -> impl Iterator<Item = &'a Owner> + 'a {
        self.owners.iter().filter(move |o| {
            o.archived == archived
                && o.number() >= after
                && email.is_none_or(|e| o.email.eq_ignore_ascii_case(e.trim()))
        })
    }

    /// The owner whose `id` (or, by `userId`, whose user id) is `raw`, archived or active as
    /// asked.
    pub fn find(&self, raw: &str, by_user_id: bool, archived: bool) -> Option<&Owner> {
        self.owners.iter().find(|o| {
            o.archived == archived
                && if by_user_id {
                    o.user_id.is_some_and(|u| u.to_string() == raw)
                } else {
                    o.id == raw
                }
        })
    }

    /// The owner id the next page starts at, for a cursor.
    pub fn cursor(owner: &Owner) -> String {
        owner.number().to_string()
    }
}
