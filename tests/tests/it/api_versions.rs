//! Every operation on both API versions against the sandbox: the same calls go to each
//! version's paths (asserted from the sandbox's request log, with queries and bodies), give
//! the same results, and read what the other version wrote. On 2026-09 the account's
//! validation rules apply to writes.

use std::collections::{BTreeMap, BTreeSet};

use futures::TryStreamExt;
use hubspot_crm::{
    ApiVersion, AssociationCategory, AssociationInput, AssociationRemoval, AssociationType, Client,
    CrmObject, Error, FailureCause, Filter, LeadAssociation, NewRecord, RateLimits, ReadOptions,
    Record, RecordUpdate, SearchRequest, StreamOptions, lead_properties as p,
};
use hubspot_sandbox::{RecordedRequest, Sandbox, SandboxConfig, ValidationRule};
use serde_json::{Value, json};

use crate::common::{self, create_contact, fast_retry, lead_name_counts, record, sandbox};

/// The paths one version sends each operation to.
#[derive(Clone, Copy, Debug)]
struct Paths(ApiVersion);

impl Paths {
    fn objects(self, object_type: &str) -> String {
        match self.0 {
            ApiVersion::V3 => format!("/crm/v3/objects/{object_type}"),
            ApiVersion::V2026_09 => format!("/crm/objects/2026-09/{object_type}"),
            other => panic!("no paths known for {other}"),
        }
    }

    fn object(self, object_type: &str, id: &str) -> String {
        format!("{}/{id}", self.objects(object_type))
    }

    fn batch(self, object_type: &str, op: &str) -> String {
        format!("{}/batch/{op}", self.objects(object_type))
    }

    fn search(self, object_type: &str) -> String {
        format!("{}/search", self.objects(object_type))
    }

    /// Associations of one record: v4 on the legacy line, under the record on 2026-09.
    fn record_associations(self, object_type: &str, id: &str) -> String {
        match self.0 {
            ApiVersion::V3 => format!("/crm/v4/objects/{object_type}/{id}/associations"),
            ApiVersion::V2026_09 => format!("{}/associations", self.object(object_type, id)),
            other => panic!("no paths known for {other}"),
        }
    }

    fn association(self, object_type: &str, id: &str, to_type: &str, to_id: &str) -> String {
        format!(
            "{}/{to_type}/{to_id}",
            self.record_associations(object_type, id)
        )
    }

    fn default_association(
        self,
        object_type: &str,
        id: &str,
        to_type: &str,
        to_id: &str,
    ) -> String {
        format!(
            "{}/default/{to_type}/{to_id}",
            self.record_associations(object_type, id)
        )
    }

    fn associations(self, from: &str, to: &str) -> String {
        match self.0 {
            ApiVersion::V3 => format!("/crm/v4/associations/{from}/{to}"),
            ApiVersion::V2026_09 => format!("/crm/associations/2026-09/{from}/{to}"),
            other => panic!("no paths known for {other}"),
        }
    }

    fn association_batch(self, from: &str, to: &str, op: &str) -> String {
        format!("{}/batch/{op}", self.associations(from, to))
    }

    fn labels(self, from: &str, to: &str) -> String {
        format!("{}/labels", self.associations(from, to))
    }

    fn properties(self, object_type: &str) -> String {
        match self.0 {
            ApiVersion::V3 => format!("/crm/v3/properties/{object_type}"),
            ApiVersion::V2026_09 => format!("/crm/properties/2026-09/{object_type}"),
            other => panic!("no paths known for {other}"),
        }
    }
}

/// One request as the sandbox received it, with its query decoded and its body parsed.
#[derive(Clone, Debug, PartialEq)]
struct Sent {
    method: String,
    path: String,
    query: BTreeMap<String, String>,
    body: Option<Value>,
}

impl Sent {
    fn call(&self) -> (&str, &str) {
        (self.method.as_str(), self.path.as_str())
    }

    fn body(&self) -> &Value {
        self.body
            .as_ref()
            .unwrap_or_else(|| panic!("{} {} had no body", self.method, self.path))
    }

    fn is_write(&self) -> bool {
        self.method != "GET"
            && !self.path.ends_with("/search")
            && !self.path.ends_with("/batch/read")
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn decode_query(query: Option<&str>) -> BTreeMap<String, String> {
    query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

/// The body of a logged request, parsed as JSON; `None` when it had none.
fn logged_body(request: &RecordedRequest) -> Option<Value> {
    request
        .body
        .as_deref()
        .map(|body| serde_json::from_str(body).expect("a JSON body"))
}

/// The requests the sandbox received after the first `skip`.
fn sent_since(sandbox: &Sandbox, skip: usize) -> Vec<Sent> {
    sandbox
        .request_log()
        .into_iter()
        .skip(skip)
        .map(|r| Sent {
            body: logged_body(&r),
            query: decode_query(r.query.as_deref()),
            method: r.method,
            path: r.path,
        })
        .collect()
}

fn calls(sent: &[Sent]) -> Vec<(&str, &str)> {
    sent.iter().map(Sent::call).collect()
}

fn query<const N: usize>(pairs: [(&str, &str); N]) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Where the log stands now, to look at what a step sends.
fn mark(sandbox: &Sandbox) -> usize {
    sandbox.request_log().len()
}

/// A client of `version` for `sandbox`, fast retries, no client-side limits.
fn client_for(sandbox: &Sandbox, version: ApiVersion) -> Client {
    let client = Client::builder()
        .access_token(common::TOKEN)
        .base_url(sandbox.base_url())
        .retry(fast_retry())
        .rate_limits(RateLimits::off())
        .api_version(version)
        .build()
        .expect("client builds");
    assert_eq!(client.api_version(), version);
    client
}

/// An association type as request bodies carry it.
fn spec(category: &str, type_id: i32) -> Value {
    json!({"associationCategory": category, "associationTypeId": type_id})
}

/// A create body's association of `to_id` by `types`.
fn association_body(to_id: &str, types: &[Value]) -> Value {
    json!({"to": {"id": to_id}, "types": types})
}

fn ids(records: &[Record]) -> Vec<&str> {
    records.iter().map(|r| r.id.as_str()).collect()
}

fn numeric(ids: &[String]) -> Vec<u64> {
    ids.iter().map(|id| id.parse().unwrap()).collect()
}

/// The API error of `error`; panics on anything else.
fn api_error(error: &Error) -> &hubspot_crm::ApiError {
    match error {
        Error::Api(e) => e,
        other => panic!("expected HubSpot's error, got {other:?}"),
    }
}

/// One `#[tokio::test]` per version for each scenario, in modules `v3` and `v2026_09`.
macro_rules! on_each_version {
    ($($scenario:ident),* $(,)?) => {
        mod v3 {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(hubspot_crm::ApiVersion::V3).await;
                }
            )*
        }
        mod v2026_09 {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(hubspot_crm::ApiVersion::V2026_09).await;
                }
            )*
        }
    };
}

on_each_version!(
    lead_lifecycle,
    bulk_create_with_rejected_inputs,
    list_stream_of_every_lead,
    search_stream_past_ten_thousand,
    label_association_and_association_list_stream,
    association_batches,
    property_definitions_and_checks,
    other_object_types,
);

#[test]
fn the_scenarios_cover_every_version() {
    // A new version needs its paths above and a module in `on_each_version!`.
    assert_eq!(ApiVersion::ALL, [ApiVersion::V3, ApiVersion::V2026_09]);
}

const NAME: &str = "Ada Lovelace renewal";

async fn lead_lifecycle(version: ApiVersion) {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client_for(&sandbox, version);
    let at = Paths(version);
    let leads = client.leads();

    let start = mark(&sandbox);
    let contact = client
        .contacts()
        .create(record([("email", "ada@example.com"), ("firstname", "Ada")]))
        .await
        .unwrap()
        .into_inner()
        .id;
    let sent = sent_since(&sandbox, start);
    let contacts_path = at.objects("contacts");
    assert_eq!(calls(&sent), [("POST", contacts_path.as_str())]);
    assert_eq!(
        *sent[0].body(),
        json!({"properties": {"email": "ada@example.com", "firstname": "Ada"}, "associations": []})
    );

    // Create with the primary contact (578).
    let start = mark(&sandbox);
    let created = leads
        .new_lead(NAME)
        .contact(&contact)
        .lead_type("NEW_BUSINESS")
        .label("NEW")
        .send()
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    let leads_path = at.objects("leads");
    assert_eq!(calls(&sent), [("POST", leads_path.as_str())]);
    assert_eq!(
        *sent[0].body(),
        json!({
            "properties": {"hs_lead_name": NAME, "hs_lead_type": "NEW_BUSINESS", "hs_lead_label": "NEW"},
            "associations": [association_body(&contact, &[spec("HUBSPOT_DEFINED", 578)])]
        })
    );
    assert_eq!(created.property(p::HS_LEAD_NAME), Some(NAME));
    assert!(!created.archived);
    let id = created.id.clone();
    let lead_path = at.object("leads", &id);

    // Update, then read with properties, history and associations.
    let start = mark(&sandbox);
    let warm = leads
        .update(RecordUpdate::new(&id).property(p::HS_LEAD_LABEL, "WARM"))
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    assert_eq!(calls(&sent), [("PATCH", lead_path.as_str())]);
    assert_eq!(
        *sent[0].body(),
        json!({"properties": {"hs_lead_label": "WARM"}})
    );
    assert_eq!(warm.property(p::HS_LEAD_LABEL), Some("WARM"));

    let start = mark(&sandbox);
    let read = leads
        .get_with(
            &id,
            &ReadOptions::new()
                .properties([p::HS_LEAD_NAME, p::HS_LEAD_LABEL, p::HUBSPOT_OWNER_ID])
                .properties_with_history([p::HS_LEAD_LABEL])
                .associations(["contacts"]),
        )
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    assert_eq!(calls(&sent), [("GET", lead_path.as_str())]);
    assert_eq!(
        sent[0].query,
        query([
            ("properties", "hs_lead_name,hs_lead_label,hubspot_owner_id"),
            ("propertiesWithHistory", "hs_lead_label"),
            ("associations", "contacts"),
            ("archived", "false"),
        ])
    );
    assert_eq!(read.id, id);
    assert_eq!(read.property(p::HS_LEAD_NAME), Some(NAME));
    assert_eq!(read.property(p::HS_LEAD_LABEL), Some("WARM"));
    // Requested but never set: present, without a value.
    assert_eq!(read.properties.get(p::HUBSPOT_OWNER_ID), Some(&None));
    let history: Vec<&str> = read
        .history(p::HS_LEAD_LABEL)
        .iter()
        .map(|v| v.value.as_str())
        .collect();
    assert_eq!(history, ["WARM", "NEW"]);
    let associated = &read.associations["contacts"];
    assert_eq!(associated.len(), 1, "{associated:?}");
    assert_eq!(associated[0].id, contact);
    assert_eq!(associated[0].type_, "lead_to_primary_contact");

    // A company by an account's label (user-defined 1001 in the sandbox).
    let company = client
        .companies()
        .create(record([("name", "Acme")]))
        .await
        .unwrap()
        .into_inner()
        .id;
    let start = mark(&sandbox);
    let link = client
        .associations()
        .associate_lead_by_label(&id, "companies", &company, "Decision maker's company")
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    let labels_path = at.labels("leads", "companies");
    let company_path = at.association("leads", &id, "companies", &company);
    assert_eq!(
        calls(&sent),
        [
            ("GET", labels_path.as_str()),
            ("PUT", company_path.as_str())
        ]
    );
    assert_eq!(*sent[1].body(), json!([spec("USER_DEFINED", 1001)]));
    assert_eq!(link.from_object_id.as_str(), id);
    assert_eq!(link.to_object_id.as_str(), company);
    assert!(
        link.labels.iter().any(|l| l == "Decision maker's company"),
        "{:?}",
        link.labels
    );

    // The v3 per-lead endpoints, by their 2026-09 equivalents there.
    let other_contact = create_contact(&client, "grace@example.com").await;
    let start = mark(&sandbox);
    let with_both = leads
        .associate_v3(&id, "contacts", &other_contact, 608)
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    match version {
        ApiVersion::V3 => {
            let put =
                format!("/crm/v3/objects/leads/{id}/associations/contacts/{other_contact}/608");
            assert_eq!(calls(&sent), [("PUT", put.as_str())]);
        }
        _ => {
            let put = at.association("leads", &id, "contacts", &other_contact);
            assert_eq!(
                calls(&sent),
                [("PUT", put.as_str()), ("GET", lead_path.as_str())]
            );
            assert_eq!(*sent[0].body(), json!([spec("HUBSPOT_DEFINED", 608)]));
            assert_eq!(
                sent[1].query.get("associations").map(String::as_str),
                Some("contacts"),
                "{:?}",
                sent[1].query
            );
        }
    }
    assert_eq!(with_both.id, id);
    let contact_ids: BTreeSet<&str> = with_both.associated_ids("contacts").collect();
    assert_eq!(
        contact_ids,
        BTreeSet::from([contact.as_str(), other_contact.as_str()])
    );

    let start = mark(&sandbox);
    leads
        .remove_association_v3(&id, "contacts", &other_contact, 608)
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    match version {
        ApiVersion::V3 => {
            let delete =
                format!("/crm/v3/objects/leads/{id}/associations/contacts/{other_contact}/608");
            assert_eq!(calls(&sent), [("DELETE", delete.as_str())]);
        }
        _ => {
            let archive = at.association_batch("leads", "contacts", "labels/archive");
            assert_eq!(calls(&sent), [("POST", archive.as_str())]);
            assert_eq!(
                *sent[0].body(),
                json!({"inputs": [{
                    "from": {"id": id},
                    "to": {"id": other_contact},
                    "types": [spec("HUBSPOT_DEFINED", 608)]
                }]})
            );
        }
    }

    // Every association with the company.
    let start = mark(&sandbox);
    client
        .associations()
        .remove_all("leads", &id, "companies", &company)
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    assert_eq!(calls(&sent), [("DELETE", company_path.as_str())]);

    let after = leads
        .get_with(
            &id,
            &ReadOptions::new().associations(["contacts", "companies"]),
        )
        .await
        .unwrap();
    assert_eq!(
        after.associated_ids("contacts").collect::<Vec<_>>(),
        [contact.as_str()],
        "only the primary contact is left"
    );
    assert_eq!(after.associated_ids("companies").count(), 0);

    // Archive: gone from reads, in the recycling bin.
    let start = mark(&sandbox);
    leads.archive(&id).await.unwrap();
    let sent = sent_since(&sandbox, start);
    assert_eq!(calls(&sent), [("DELETE", lead_path.as_str())]);
    let gone = leads.get(&id).await.unwrap_err();
    let gone = api_error(&gone);
    assert!(gone.is_not_found(), "{gone}");
    assert_eq!(gone.status, 404);

    let start = mark(&sandbox);
    let binned = leads
        .get_with(
            &id,
            &ReadOptions::new()
                .archived(true)
                .properties([p::HS_LEAD_NAME]),
        )
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    assert_eq!(calls(&sent), [("GET", lead_path.as_str())]);
    assert_eq!(
        sent[0].query,
        query([("properties", "hs_lead_name"), ("archived", "true")])
    );
    assert_eq!(binned.id, id);
    assert!(binned.archived);
    assert!(binned.archived_at.is_some());
    assert_eq!(binned.property(p::HS_LEAD_NAME), Some(NAME));
}

async fn bulk_create_with_rejected_inputs(version: ApiVersion) {
    // An option the account does not have: the sandbox rejects these inputs one by one.
    const BAD: [usize; 4] = [3, 100, 517, 1049];
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client_for(&sandbox, version);
    let at = Paths(version);
    let leads = client.leads();
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let names: Vec<String> = (0..1_050).map(|i| format!("Bulk lead {i:04}")).collect();
    let inputs: Vec<NewRecord> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let label = if BAD.contains(&i) { "LUKEWARM" } else { "NEW" };
            leads
                .new_lead(name)
                .contact(&contact)
                .label(label)
                .into_new_record()
        })
        .collect();

    let start = mark(&sandbox);
    let result = leads.create_many(inputs).await.unwrap();
    let sent = sent_since(&sandbox, start);

    let create_path = at.batch("leads", "create");
    assert_eq!(
        calls(&sent),
        vec![("POST", create_path.as_str()); 11],
        "1,050 inputs in requests of at most 100"
    );
    let mut sent_names: BTreeMap<String, usize> = BTreeMap::new();
    for request in &sent {
        let inputs = request.body()["inputs"].as_array().unwrap();
        assert!(inputs.len() <= 100, "{} inputs", inputs.len());
        for input in inputs {
            assert!(input["objectWriteTraceId"].is_string(), "{input}");
            let name = input["properties"]["hs_lead_name"].as_str().unwrap();
            *sent_names.entry(name.to_owned()).or_default() += 1;
        }
    }
    assert_eq!(sent_names.len(), 1_050);
    assert!(sent_names.values().all(|&n| n == 1), "each input sent once");

    assert_eq!(result.outcomes.len(), 1_050);
    assert!(result.unmatched_results.is_empty() && result.unmatched_errors.is_empty());
    for (i, outcome) in result.outcomes.iter().enumerate() {
        if BAD.contains(&i) {
            let failure = outcome
                .failed()
                .unwrap_or_else(|| panic!("item {i} was rejected"));
            assert_eq!(failure.index, i);
            assert_eq!(failure.input.properties[p::HS_LEAD_NAME], names[i]);
            assert!(!failure.may_have_been_applied());
            let FailureCause::Rejected(error) = &failure.cause else {
                panic!(
                    "item {i}: expected HubSpot's rejection, got {}",
                    failure.cause
                );
            };
            assert_eq!(error.status, 207, "the status of the batch answer");
            assert_eq!(error.category.as_deref(), Some("VALIDATION_ERROR"));
            assert_eq!(error.errors[0].code.as_deref(), Some("INVALID_OPTION"));
            let trace = failure.input.object_write_trace_id.clone().unwrap();
            assert_eq!(error.context.get("objectWriteTraceId"), Some(&vec![trace]));
        } else {
            let created = outcome
                .succeeded()
                .unwrap_or_else(|| panic!("item {i} was created: {:?}", outcome.failed()));
            assert_eq!(created.property(p::HS_LEAD_NAME), Some(names[i].as_str()));
            assert_eq!(created.property(p::HS_LEAD_LABEL), Some("NEW"));
        }
    }
    let failed: Vec<usize> = result.failed().map(|f| f.index).collect();
    assert_eq!(failed, BAD);

    // The store holds the successes, each once, and nothing else.
    let expected: BTreeMap<String, usize> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| !BAD.contains(i))
        .map(|(_, n)| (n.clone(), 1))
        .collect();
    assert_eq!(lead_name_counts(&client).await, expected);
}

async fn list_stream_of_every_lead(version: ApiVersion) {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client_for(&sandbox, version);
    let at = Paths(version);
    let leads = client.leads();
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let seeded = sandbox.seed_leads(&contact, 250);
    let options = ReadOptions::new().properties([p::HS_LEAD_NAME]);

    // The cursors this version hands out, page by page.
    let mut cursors = vec![None];
    loop {
        let page = leads
            .list_page(&options, Some(100), cursors.last().unwrap().as_deref())
            .await
            .unwrap();
        match page.next_after {
            Some(next) => cursors.push(Some(next)),
            None => break,
        }
    }
    assert_eq!(cursors.len(), 3, "250 leads in pages of 100: {cursors:?}");

    let start = mark(&sandbox);
    let listed: Vec<Record> = leads
        .list_stream(options, StreamOptions::new().page_size(100))
        .try_collect()
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    assert_eq!(ids(&listed), seeded, "every lead once, in order");
    for (i, lead) in listed.iter().enumerate() {
        assert_eq!(
            lead.property(p::HS_LEAD_NAME),
            Some(format!("Lead {}", i + 1).as_str())
        );
    }
    let list_path = at.objects("leads");
    assert_eq!(calls(&sent), vec![("GET", list_path.as_str()); 3]);
    for (request, cursor) in sent.iter().zip(&cursors) {
        let mut expected = query([
            ("limit", "100"),
            ("properties", "hs_lead_name"),
            ("archived", "false"),
        ]);
        if let Some(after) = cursor {
            expected.insert("after".to_owned(), after.clone());
        }
        assert_eq!(request.query, expected);
    }
}

async fn search_stream_past_ten_thousand(version: ApiVersion) {
    const SEEDED: usize = 10_050;
    const PAGE: usize = 200;
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client_for(&sandbox, version);
    let at = Paths(version);
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let mut seeded = numeric(&sandbox.seed_leads(&contact, SEEDED));
    seeded.sort_unstable();

    let start = mark(&sandbox);
    let found: Vec<Record> = client
        .leads()
        .search_stream(SearchRequest::new().properties([p::HS_LEAD_NAME]), None)
        .try_collect()
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    let found_ids: Vec<u64> = found.iter().map(|r| r.id.parse().unwrap()).collect();
    assert_eq!(found_ids, seeded, "every lead once, by ascending id");

    let search_path = at.search("leads");
    let pages = SEEDED.div_ceil(PAGE);
    assert_eq!(calls(&sent), vec![("POST", search_path.as_str()); pages]);
    // Each page after the first starts above the last id of the one before.
    for (k, request) in sent.iter().enumerate() {
        let mut expected = json!({
            "limit": PAGE,
            "properties": ["hs_lead_name"],
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
        });
        if k > 0 {
            let last = seeded[k * PAGE - 1].to_string();
            expected["filterGroups"] = json!([{"filters": [
                {"propertyName": "hs_object_id", "operator": "GT", "value": last}
            ]}]);
        }
        assert_eq!(*request.body(), expected, "page {k}");
    }
    let past_window = sent.last().unwrap().body()["filterGroups"][0]["filters"][0]["value"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .unwrap();
    assert!(
        past_window >= seeded[9_999],
        "the last page starts past 10,000"
    );
}

async fn label_association_and_association_list_stream(version: ApiVersion) {
    const ASSOCIATED: usize = 1_200;
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client_for(&sandbox, version);
    let at = Paths(version);
    let associations = client.associations();
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let lead_ids = sandbox.seed_leads(&contact, ASSOCIATED);
    let company = sandbox.seed_object("companies", json!({"name": "Acme"}));

    // The label is looked up once (case folded), then cached.
    let start = mark(&sandbox);
    let link = associations
        .associate_lead_by_label(
            &lead_ids[0],
            "companies",
            &company,
            "decision maker's company",
        )
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    let labels_path = at.labels("leads", "companies");
    let put_path = at.association("leads", &lead_ids[0], "companies", &company);
    assert_eq!(
        calls(&sent),
        [("GET", labels_path.as_str()), ("PUT", put_path.as_str())]
    );
    assert_eq!(*sent[1].body(), json!([spec("USER_DEFINED", 1001)]));
    assert_eq!(
        (link.from_object_id.as_str(), link.to_object_id.as_str()),
        (lead_ids[0].as_str(), company.as_str())
    );
    assert!(link.labels.iter().any(|l| l == "Decision maker's company"));

    let start = mark(&sandbox);
    let label_type = associations
        .type_for_label("leads", "companies", "Decision maker's company")
        .await
        .unwrap();
    assert_eq!(
        label_type,
        AssociationType {
            category: AssociationCategory::UserDefined,
            type_id: 1001
        }
    );
    associations
        .associate_lead_by_label(
            &lead_ids[1],
            "companies",
            &company,
            "Decision maker's company",
        )
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    let second_put = at.association("leads", &lead_ids[1], "companies", &company);
    assert_eq!(
        calls(&sent),
        [("PUT", second_put.as_str())],
        "labels cached"
    );
    let read = client
        .leads()
        .get_with(
            &lead_ids[1],
            &ReadOptions::new().associations(["companies"]),
        )
        .await
        .unwrap();
    assert_eq!(
        read.associated_ids("companies").collect::<Vec<_>>(),
        [company.as_str()]
    );

    // The contact's leads, page by page, as `list_page` pages them.
    let start = mark(&sandbox);
    let mut cursor: Option<String> = None;
    let mut paged = Vec::new();
    loop {
        let page = associations
            .list_page("contacts", &contact, "leads", Some(500), cursor.as_deref())
            .await
            .unwrap();
        paged.extend(page.results);
        match page.next_after {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let by_page = sent_since(&sandbox, start);
    assert!(
        by_page.len() >= 2,
        "{ASSOCIATED} associations span more than one page: {} request(s)",
        by_page.len()
    );
    let mut cursors = Vec::new();
    for (k, request) in by_page.iter().enumerate() {
        match version {
            ApiVersion::V3 => {
                let list_path = format!("{}/leads", at.record_associations("contacts", &contact));
                assert_eq!(request.call(), ("GET", list_path.as_str()));
                assert_eq!(request.query.get("limit").map(String::as_str), Some("500"));
                cursors.push(request.query.get("after").cloned());
            }
            _ => {
                // No per-record list on 2026-09: a batch read of one input, with its cursor.
                let read_path = at.association_batch("contacts", "leads", "read");
                assert_eq!(request.call(), ("POST", read_path.as_str()));
                assert!(request.query.is_empty(), "{:?}", request.query);
                let input = &request.body()["inputs"];
                assert_eq!(input.as_array().map(Vec::len), Some(1), "{input}");
                assert_eq!(input[0]["id"], json!(contact));
                if k == 0 {
                    assert_eq!(*request.body(), json!({"inputs": [{"id": contact}]}));
                }
                cursors.push(input[0]["after"].as_str().map(str::to_owned));
            }
        }
    }
    assert_eq!(cursors[0], None);
    assert!(cursors[1..].iter().all(Option::is_some), "{cursors:?}");
    if version == ApiVersion::V3 {
        assert_eq!(by_page.len(), 3, "pages of 500");
    }

    let start = mark(&sandbox);
    let streamed: Vec<_> = associations
        .list_stream("contacts", &contact, "leads")
        .try_collect()
        .await
        .unwrap();
    let by_stream = sent_since(&sandbox, start);
    // The stream sends what paging by hand sent.
    assert_eq!(by_stream, by_page);

    let targets: Vec<&str> = streamed.iter().map(|t| t.to_object_id.as_str()).collect();
    assert_eq!(targets.len(), ASSOCIATED);
    let unique: BTreeSet<&str> = targets.iter().copied().collect();
    assert_eq!(unique.len(), ASSOCIATED, "each lead once");
    assert_eq!(
        unique,
        lead_ids.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
    let paged_targets: Vec<&str> = paged.iter().map(|t| t.to_object_id.as_str()).collect();
    assert_eq!(targets, paged_targets);
}

async fn association_batches(version: ApiVersion) {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client_for(&sandbox, version);
    let at = Paths(version);
    let associations = client.associations();
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let leads = sandbox.seed_leads(&contact, 3);
    let acme = sandbox.seed_object("companies", json!({"name": "Acme"}));
    let globex = sandbox.seed_object("companies", json!({"name": "Globex"}));
    let company = LeadAssociation::Company.association_type();

    let start = mark(&sandbox);
    let created = associations
        .batch_create(
            "leads",
            "companies",
            &[
                AssociationInput::new(&leads[0], &acme, [company.clone()]),
                AssociationInput::new(&leads[1], &acme, [company.clone()]),
                AssociationInput::new(&leads[2], "999999999", [company.clone()]),
            ],
        )
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    let create_path = at.association_batch("leads", "companies", "create");
    assert_eq!(calls(&sent), [("POST", create_path.as_str())]);
    let input = |from: &str, to: &str| json!({"from": {"id": from}, "to": {"id": to}, "types": [spec("HUBSPOT_DEFINED", 610)]});
    assert_eq!(
        *sent[0].body(),
        json!({"inputs": [input(&leads[0], &acme), input(&leads[1], &acme), input(&leads[2], "999999999")]})
    );
    let pairs: BTreeSet<(&str, &str)> = created
        .results
        .iter()
        .map(|l| (l.from_object_id.as_str(), l.to_object_id.as_str()))
        .collect();
    assert_eq!(
        pairs,
        BTreeSet::from([
            (leads[0].as_str(), acme.as_str()),
            (leads[1].as_str(), acme.as_str())
        ])
    );
    assert_eq!(created.errors.len(), 1, "{:?}", created.errors);

    let start = mark(&sandbox);
    let read = associations
        .batch_read("leads", "companies", [&leads[0], &leads[1], &leads[2]])
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    let read_path = at.association_batch("leads", "companies", "read");
    assert_eq!(calls(&sent), [("POST", read_path.as_str())]);
    assert_eq!(
        *sent[0].body(),
        json!({"inputs": [{"id": leads[0]}, {"id": leads[1]}, {"id": leads[2]}]})
    );
    let found: BTreeMap<&str, Vec<&str>> = read
        .results
        .iter()
        .map(|r| {
            (
                r.from.id.as_str(),
                r.to.iter().map(|t| t.to_object_id.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        found,
        BTreeMap::from([
            (leads[0].as_str(), vec![acme.as_str()]),
            (leads[1].as_str(), vec![acme.as_str()])
        ])
    );
    assert_eq!(read.errors.len(), 1, "the lead without companies");

    let start = mark(&sandbox);
    let default = associations
        .associate_default("leads", &leads[2], "companies", &globex)
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    let default_path = at.default_association("leads", &leads[2], "companies", &globex);
    assert_eq!(calls(&sent), [("PUT", default_path.as_str())]);
    assert_eq!(default.results.len(), 1);
    assert!(default.errors.is_empty());

    let start = mark(&sandbox);
    associations
        .batch_remove(
            "leads",
            "companies",
            &[AssociationRemoval::new(&leads[0], [&acme])],
        )
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    let archive_path = at.association_batch("leads", "companies", "archive");
    assert_eq!(calls(&sent), [("POST", archive_path.as_str())]);
    assert_eq!(
        *sent[0].body(),
        json!({"inputs": [{"from": {"id": leads[0]}, "to": [{"id": acme}]}]})
    );

    let after = associations
        .batch_read("leads", "companies", [&leads[0], &leads[1], &leads[2]])
        .await
        .unwrap();
    let found: BTreeMap<&str, Vec<&str>> = after
        .results
        .iter()
        .map(|r| {
            (
                r.from.id.as_str(),
                r.to.iter().map(|t| t.to_object_id.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        found,
        BTreeMap::from([
            (leads[1].as_str(), vec![acme.as_str()]),
            (leads[2].as_str(), vec![globex.as_str()])
        ])
    );
}

async fn property_definitions_and_checks(version: ApiVersion) {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client_for(&sandbox, version);
    let at = Paths(version);
    let properties = client.properties();
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let leads_properties = at.properties("leads");

    let start = mark(&sandbox);
    let definitions = properties.definitions("leads").await.unwrap();
    let sent = sent_since(&sandbox, start);
    assert_eq!(calls(&sent), [("GET", leads_properties.as_str())]);
    let label = definitions.get(p::HS_LEAD_LABEL).expect("hs_lead_label");
    let options: Vec<&str> = label.options.iter().map(|o| o.value.as_str()).collect();
    assert!(
        options.contains(&"WARM") && options.contains(&"COLD"),
        "{options:?}"
    );
    assert!(definitions.get(p::HS_LEAD_TYPE).is_some());
    assert!(definitions.get(p::HS_LEAD_NAME).is_some());

    let start = mark(&sandbox);
    let one = properties.get("leads", p::HS_LEAD_LABEL).await.unwrap();
    let listed = properties.list("leads").await.unwrap();
    let sent = sent_since(&sandbox, start);
    let one_path = format!("{leads_properties}/{}", p::HS_LEAD_LABEL);
    assert_eq!(
        calls(&sent),
        [
            ("GET", one_path.as_str()),
            ("GET", leads_properties.as_str())
        ]
    );
    assert_eq!(one.name, p::HS_LEAD_LABEL);
    assert_eq!(
        one.options
            .iter()
            .map(|o| o.value.as_str())
            .collect::<Vec<_>>(),
        options
    );
    assert_eq!(listed.len(), definitions.len());
    let unknown = properties
        .get("leads", "no_such_property")
        .await
        .unwrap_err();
    assert_eq!(api_error(&unknown).status, 404);

    // Checked against the cached definitions: nothing is sent, nothing is written.
    let start = mark(&sandbox);
    let mut bad = common::lead_input("Checked", &contact);
    bad.properties
        .insert(p::HS_LEAD_LABEL.to_owned(), "LUKEWARM".to_owned());
    let Err(Error::Validation(e)) = properties.check_new_record("leads", &bad).await else {
        panic!("an option the account does not have is caught");
    };
    assert_eq!(e.field, p::HS_LEAD_LABEL);
    assert!(e.reason.contains("`WARM`"), "{}", e.reason);
    let refused = client
        .leads()
        .new_lead("Checked")
        .contact(&contact)
        .label("LUKEWARM")
        .check_against_definitions()
        .send()
        .await
        .unwrap_err();
    let Error::Validation(e) = refused else {
        panic!("expected a validation error, got {refused:?}");
    };
    assert_eq!(e.field, p::HS_LEAD_LABEL);
    let sent = sent_since(&sandbox, start);
    assert!(
        sent.iter().all(|s| !s.is_write()),
        "no write reached the sandbox: {:?}",
        calls(&sent)
    );
    assert!(
        sent.is_empty(),
        "the definitions were cached: {:?}",
        calls(&sent)
    );

    let start = mark(&sandbox);
    let good = client
        .leads()
        .new_lead("Checked")
        .contact(&contact)
        .label("WARM")
        .check_against_definitions()
        .send()
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    let leads_path = at.objects("leads");
    assert_eq!(calls(&sent), [("POST", leads_path.as_str())]);
    assert_eq!(good.property(p::HS_LEAD_LABEL), Some("WARM"));
    assert_eq!(
        lead_name_counts(&client).await,
        BTreeMap::from([("Checked".to_owned(), 1)])
    );
}

/// Deals as a user's crate defines them: the defaults a read asks for when it names none.
struct Deal;
impl CrmObject for Deal {
    const OBJECT_TYPE: &'static str = "deals";
    const OBJECT_TYPE_ID: &'static str = "0-3";
    const DEFAULT_PROPERTIES: &'static [&'static str] = &["dealname", "amount"];
}

async fn other_object_types(version: ApiVersion) {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client_for(&sandbox, version);
    let at = Paths(version);
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));

    let deals = client.objects::<Deal>();
    let start = mark(&sandbox);
    let deal = deals
        .create(record([("dealname", "Renewal"), ("amount", "1200")]))
        .await
        .unwrap();
    let read = deals.get(&deal.id).await.unwrap();
    deals
        .associate(&deal.id, "contacts", &contact)
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    let (deals_path, deal_path) = (at.objects("deals"), at.object("deals", &deal.id));
    let default_path = at.default_association("deals", &deal.id, "contacts", &contact);
    assert_eq!(
        calls(&sent),
        [
            ("POST", deals_path.as_str()),
            ("GET", deal_path.as_str()),
            ("PUT", default_path.as_str())
        ]
    );
    assert_eq!(
        sent[1].query,
        query([("properties", "dealname,amount"), ("archived", "false")])
    );
    assert_eq!(read.property("amount"), Some("1200"));
    let with_contact = deals
        .get_with(&deal.id, &ReadOptions::new().associations(["contacts"]))
        .await
        .unwrap();
    assert_eq!(
        with_contact.associated_ids("contacts").collect::<Vec<_>>(),
        [contact.as_str()]
    );

    // A custom object named at run time.
    let machines = client.objects_of("2-1234567").unwrap();
    let start = mark(&sandbox);
    let machine = machines
        .create(record([("name", "Press 1")]))
        .await
        .unwrap();
    let updated = machines
        .update(RecordUpdate::new(&machine.id).property("name", "Press 2"))
        .await
        .unwrap();
    let page = machines
        .list_page(&ReadOptions::new().properties(["name"]), Some(10), None)
        .await
        .unwrap();
    let found = machines
        .search_page(&SearchRequest::new().filter(Filter::eq("name", "Press 2")))
        .await
        .unwrap();
    machines.archive(&machine.id).await.unwrap();
    let sent = sent_since(&sandbox, start);
    let (machines_path, machine_path) =
        (at.objects("2-1234567"), at.object("2-1234567", &machine.id));
    let search_path = at.search("2-1234567");
    assert_eq!(
        calls(&sent),
        [
            ("POST", machines_path.as_str()),
            ("PATCH", machine_path.as_str()),
            ("GET", machines_path.as_str()),
            ("POST", search_path.as_str()),
            ("DELETE", machine_path.as_str())
        ]
    );
    assert_eq!(updated.property("name"), Some("Press 2"));
    assert_eq!(ids(&page.results), [machine.id.as_str()]);
    assert_eq!(
        page.results[0].property("name"),
        Some("Press 2"),
        "read back"
    );
    assert_eq!(found.total, Some(1));
    assert_eq!(ids(&found.results), [machine.id.as_str()]);
}

#[tokio::test]
async fn records_written_through_one_version_are_read_through_the_other() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let v3 = client_for(&sandbox, ApiVersion::V3);
    let dated = v3.with_api_version(ApiVersion::V2026_09);
    assert_eq!(dated.api_version(), ApiVersion::V2026_09);
    assert_eq!(
        v3.api_version(),
        ApiVersion::V3,
        "the original is unchanged"
    );
    assert_eq!(dated.base_url(), v3.base_url());
    let (old, new) = (Paths(ApiVersion::V3), Paths(ApiVersion::V2026_09));
    let contact = create_contact(&v3, "ada@example.com").await;
    let names =
        |prefix: &str| -> Vec<String> { (0..60).map(|i| format!("{prefix} {i:02}")).collect() };
    let inputs = |names: &[String]| -> Vec<NewRecord> {
        names
            .iter()
            .map(|n| common::lead_input(n, &contact))
            .collect()
    };
    let (v3_names, dated_names) = (names("Written by v3"), names("Written by 2026-09"));

    let start = mark(&sandbox);
    let v3_ids: Vec<String> = v3
        .leads()
        .create_many(inputs(&v3_names))
        .await
        .unwrap()
        .into_result()
        .unwrap()
        .into_iter()
        .map(|r| r.into_inner().id)
        .collect();
    let dated_ids: Vec<String> = dated
        .leads()
        .create_many(inputs(&dated_names))
        .await
        .unwrap()
        .into_result()
        .unwrap()
        .into_iter()
        .map(|r| r.into_inner().id)
        .collect();
    let sent = sent_since(&sandbox, start);
    let (old_create, new_create) = (old.batch("leads", "create"), new.batch("leads", "create"));
    assert_eq!(
        calls(&sent),
        [("POST", old_create.as_str()), ("POST", new_create.as_str())]
    );

    // Read back through the other version, in bulk and one by one.
    let names_of = |result: &hubspot_crm::BulkResult<String>| -> Vec<String> {
        result
            .outcomes
            .iter()
            .map(|o| {
                o.succeeded()
                    .expect("read")
                    .property(p::HS_LEAD_NAME)
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let by_name = ReadOptions::new().properties([p::HS_LEAD_NAME, p::HS_LEAD_LABEL]);
    let start = mark(&sandbox);
    let v3_read_on_dated = dated.leads().read_many(&v3_ids, &by_name).await.unwrap();
    let dated_read_on_v3 = v3.leads().read_many(&dated_ids, &by_name).await.unwrap();
    let sent = sent_since(&sandbox, start);
    let (old_read, new_read) = (old.batch("leads", "read"), new.batch("leads", "read"));
    assert_eq!(
        calls(&sent),
        [("POST", new_read.as_str()), ("POST", old_read.as_str())]
    );
    assert_eq!(names_of(&v3_read_on_dated), v3_names);
    assert_eq!(names_of(&dated_read_on_v3), dated_names);
    let one = dated.leads().get_with(&v3_ids[0], &by_name).await.unwrap();
    assert_eq!(one.property(p::HS_LEAD_NAME), Some(v3_names[0].as_str()));
    let other = v3.leads().get_with(&dated_ids[0], &by_name).await.unwrap();
    assert_eq!(
        other.property(p::HS_LEAD_NAME),
        Some(dated_names[0].as_str())
    );

    // A bulk update on each, read back on the other.
    let label_all = |ids: &[String], label: &str| -> Vec<RecordUpdate> {
        ids.iter()
            .map(|id| RecordUpdate::new(id).property(p::HS_LEAD_LABEL, label))
            .collect()
    };
    let start = mark(&sandbox);
    let hot = dated
        .leads()
        .update_many(label_all(&v3_ids, "HOT"))
        .await
        .unwrap();
    let cold = v3
        .leads()
        .update_many(label_all(&dated_ids, "COLD"))
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    let (old_update, new_update) = (old.batch("leads", "update"), new.batch("leads", "update"));
    assert_eq!(
        calls(&sent),
        [("POST", new_update.as_str()), ("POST", old_update.as_str())]
    );
    assert!(hot.is_complete_success() && cold.is_complete_success());
    let labels_of = |result: &hubspot_crm::BulkResult<String>| -> BTreeSet<String> {
        result
            .succeeded()
            .map(|r| r.property(p::HS_LEAD_LABEL).unwrap_or_default().to_owned())
            .collect()
    };
    let v3_back = v3.leads().read_many(&v3_ids, &by_name).await.unwrap();
    assert_eq!(v3_back.succeeded().count(), 60);
    assert_eq!(labels_of(&v3_back), BTreeSet::from(["HOT".to_owned()]));
    let dated_back = dated.leads().read_many(&dated_ids, &by_name).await.unwrap();
    assert_eq!(dated_back.succeeded().count(), 60);
    assert_eq!(labels_of(&dated_back), BTreeSet::from(["COLD".to_owned()]));

    // A search on the other version finds them, and only them.
    let search = |label: &str| SearchRequest::new().filter(Filter::eq(p::HS_LEAD_LABEL, label));
    let start = mark(&sandbox);
    let hot_found: Vec<Record> = v3
        .leads()
        .search_stream(search("HOT"), None)
        .try_collect()
        .await
        .unwrap();
    let cold_found: Vec<Record> = dated
        .leads()
        .search_stream(search("COLD"), None)
        .try_collect()
        .await
        .unwrap();
    let sent = sent_since(&sandbox, start);
    let (old_search, new_search) = (old.search("leads"), new.search("leads"));
    assert_eq!(
        calls(&sent),
        [("POST", old_search.as_str()), ("POST", new_search.as_str())]
    );
    let sorted = |ids: &[String]| {
        let mut ids = numeric(ids);
        ids.sort_unstable();
        ids
    };
    let found_ids = |records: &[Record]| -> Vec<u64> {
        records.iter().map(|r| r.id.parse().unwrap()).collect()
    };
    assert_eq!(found_ids(&hot_found), sorted(&v3_ids));
    assert_eq!(found_ids(&cold_found), sorted(&dated_ids));

    // An association made through one version is seen through the other.
    let company = sandbox.seed_object("companies", json!({"name": "Acme"}));
    dated
        .associations()
        .associate_lead_by_label(
            &v3_ids[0],
            "companies",
            &company,
            "Decision maker's company",
        )
        .await
        .unwrap();
    let seen = v3
        .leads()
        .get_with(&v3_ids[0], &ReadOptions::new().associations(["companies"]))
        .await
        .unwrap();
    assert_eq!(
        seen.associated_ids("companies").collect::<Vec<_>>(),
        [company.as_str()]
    );
    let listed: Vec<_> = v3
        .associations()
        .list_stream("leads", &v3_ids[0], "companies")
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].to_object_id.as_str(), company);
}

/// A rule of the account: a hot lead needs a lead type.
fn hot_needs_a_type() -> ValidationRule {
    ValidationRule::required_when("leads", p::HS_LEAD_TYPE, p::HS_LEAD_LABEL, "HOT")
}

/// The validation error of a rule naming `hs_lead_type`, whatever carries it.
fn assert_rule_error(error: &hubspot_crm::ApiError) {
    assert!(error.is_validation_error(), "{error}");
    assert_eq!(error.invalid_properties(), [p::HS_LEAD_TYPE], "{error:?}");
    assert_eq!(error.errors[0].code.as_deref(), Some("REQUIRED_FIELD"));
}

#[tokio::test]
async fn validation_rules_refuse_2026_09_writes_and_not_v3_ones() {
    let sandbox = sandbox(SandboxConfig::new().validation_rule(hot_needs_a_type())).await;
    let v3 = client_for(&sandbox, ApiVersion::V3);
    let dated = client_for(&sandbox, ApiVersion::V2026_09);
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let hot = |name: &str| {
        v3.leads()
            .new_lead(name)
            .contact(&contact)
            .label("HOT")
            .into_new_record()
    };

    // The same create: accepted on v3, refused on 2026-09.
    let accepted = v3.leads().create(hot("Hot, no type")).await.unwrap();
    assert_eq!(accepted.property(p::HS_LEAD_LABEL), Some("HOT"));
    let start = mark(&sandbox);
    let refused = dated.leads().create(hot("Hot, no type")).await.unwrap_err();
    let sent = sent_since(&sandbox, start);
    let dated_leads = Paths(ApiVersion::V2026_09).objects("leads");
    assert_eq!(calls(&sent), [("POST", dated_leads.as_str())]);
    assert_eq!(refused.status(), Some(400));
    let error = api_error(&refused);
    assert_eq!(error.status, 400);
    assert_rule_error(error);

    let mut typed = hot("Hot, typed");
    typed
        .properties
        .insert(p::HS_LEAD_TYPE.to_owned(), "NEW_BUSINESS".to_owned());
    dated.leads().create(typed).await.unwrap();

    // Updates too: the value the write leaves counts.
    let cold = v3
        .leads()
        .new_lead("Cold")
        .contact(&contact)
        .label("COLD")
        .send()
        .await
        .unwrap();
    let heat = RecordUpdate::new(&cold.id).property(p::HS_LEAD_LABEL, "HOT");
    let refused = dated.leads().update(heat.clone()).await.unwrap_err();
    assert_rule_error(api_error(&refused));
    v3.leads().update(heat).await.unwrap();

    // In bulk on 2026-09, only the inputs breaking the rule fail, each on its own index.
    const BREAKING: [usize; 2] = [4, 9];
    let bulk: Vec<NewRecord> = (0..12)
        .map(|i| {
            let lead = dated
                .leads()
                .new_lead(format!("Bulk {i:02}"))
                .contact(&contact)
                .label("HOT");
            if BREAKING.contains(&i) {
                lead.into_new_record()
            } else {
                lead.lead_type("UPSELL").into_new_record()
            }
        })
        .collect();
    let start = mark(&sandbox);
    let result = dated.leads().create_many(bulk.clone()).await.unwrap();
    let sent = sent_since(&sandbox, start);
    let dated_create = Paths(ApiVersion::V2026_09).batch("leads", "create");
    assert_eq!(calls(&sent), [("POST", dated_create.as_str())]);
    assert_eq!(result.outcomes.len(), 12);
    assert_eq!(
        result.failed().map(|f| f.index).collect::<Vec<_>>(),
        BREAKING
    );
    for failure in result.failed() {
        assert!(!failure.may_have_been_applied());
        let FailureCause::Rejected(error) = &failure.cause else {
            panic!("item {}: {}", failure.index, failure.cause);
        };
        assert_rule_error(error);
        let trace = failure.input.object_write_trace_id.clone().unwrap();
        assert_eq!(error.context.get("objectWriteTraceId"), Some(&vec![trace]));
    }
    for (i, outcome) in result.outcomes.iter().enumerate() {
        if !BREAKING.contains(&i) {
            let created = outcome.succeeded().unwrap_or_else(|| panic!("item {i}"));
            assert_eq!(
                created.property(p::HS_LEAD_NAME),
                Some(format!("Bulk {i:02}").as_str())
            );
        }
    }
    // The same inputs on v3: no rules there.
    let renamed: Vec<NewRecord> = bulk
        .into_iter()
        .map(|mut r| {
            let name = format!("v3 {}", r.properties[p::HS_LEAD_NAME]);
            r.properties.insert(p::HS_LEAD_NAME.to_owned(), name);
            r
        })
        .collect();
    assert!(
        v3.leads()
            .create_many(renamed)
            .await
            .unwrap()
            .is_complete_success()
    );

    let counts = lead_name_counts(&v3).await;
    assert_eq!(counts.get("Hot, no type"), Some(&1), "only v3's");
    assert_eq!(counts.get("Hot, typed"), Some(&1));
    assert_eq!(counts.get("Bulk 04"), None);
    assert_eq!(counts.get("Bulk 09"), None);
    assert_eq!(counts.get("v3 Bulk 04"), Some(&1));
    assert_eq!(counts.len(), 1 + 1 + 1 + 10 + 12);
}
