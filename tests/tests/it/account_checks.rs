//! The opt-in account checks, end to end: a bulk create carrying a stage of no pipeline, an
//! owner the account does not have and a dropdown value that is not an option is refused
//! before any write when the checks are on, and refused whole by HubSpot (the sandbox) when
//! they are off.

use hubspot_crm::api::shared::{PipelineInput, PipelineStageInput};
use hubspot_crm::{
    ApiVersion, BulkOptions, Client, Error, FailureCause, InvalidInputs, ItemOutcome, NewRecord,
    RecordUpdate,
};
use hubspot_sandbox::{PartialSuccess, Sandbox, SandboxConfig};

use crate::common::{client, create_contact, lead_input, sandbox};

/// Positions of the bad inputs in [`inputs`], and the property each gets wrong.
const BAD: [(usize, &str); 3] = [
    (1, "hs_pipeline_stage"),
    (3, "hubspot_owner_id"),
    (4, "hs_lead_label"),
];

struct Account {
    sandbox: Sandbox,
    client: Client,
    inputs: Vec<NewRecord>,
}

/// A sandbox refusing a whole batch for one bad value, and six leads of which three
/// ([`BAD`]) carry a value the account does not accept. The good ones use a stage and an
/// owner read from the account.
async fn account(version: ApiVersion) -> Account {
    let sandbox = sandbox(SandboxConfig::new().partial_success(PartialSuccess::Never)).await;
    let client = client(&sandbox).with_api_version(version);
    let contact = create_contact(&client, "ada@example.com").await;
    let pipelines = client.pipelines().of("leads").await.unwrap();
    let pipeline = pipelines
        .default_pipeline()
        .expect("HubSpot provisions a lead pipeline");
    let stage = pipelines.stages(&pipeline.id)[0].id.clone();
    let owner = client.owners().list().await.unwrap()[0].id.clone();
    let good = |name: &str| {
        lead_input(name, &contact)
            .property("hs_pipeline", &pipeline.id)
            .property("hs_pipeline_stage", &stage)
            .property("hubspot_owner_id", &owner)
            .property("hs_lead_label", "WARM")
    };
    let inputs = vec![
        good("Lead 0"),
        good("Lead 1").property("hs_pipeline_stage", "no-such-stage"),
        good("Lead 2"),
        good("Lead 3").property("hubspot_owner_id", "987654321"),
        good("Lead 4").property("hs_lead_label", "LUKEWARM"),
        good("Lead 5"),
    ];
    Account {
        sandbox,
        client,
        inputs,
    }
}

/// The one outcome of a one-input bulk call.
fn result_outcome(
    result: hubspot_crm::BulkResult<NewRecord>,
) -> ItemOutcome<NewRecord, hubspot_crm::Record> {
    result
        .outcomes
        .into_iter()
        .next()
        .expect("one input, one outcome")
}

fn batch_creates(sandbox: &Sandbox) -> usize {
    sandbox
        .request_log()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/leads/batch/create"))
        .count()
}

#[tokio::test]
async fn with_account_checks_a_bulk_create_with_a_bad_stage_owner_and_option_sends_no_write() {
    for version in ApiVersion::ALL.iter().copied() {
        let Account {
            sandbox,
            client,
            inputs,
        } = account(version).await;
        let leads = client.leads().with_account_checks(true);
        match leads.create_many(inputs.clone()).await {
            Err(Error::Validation(e)) => {
                assert_eq!(
                    (e.item, e.field.as_str()),
                    (Some(1), "hs_pipeline_stage"),
                    "{version}"
                );
                assert!(e.reason.contains("no-such-stage"), "{version}: {e}");
            }
            other => panic!("{version}: expected the checks to refuse the call, got {other:?}"),
        }
        assert_eq!(batch_creates(&sandbox), 0, "{version}: nothing was written");

        // Taken as outcomes, the bad rows cost only themselves.
        let result = leads
            .bulk(BulkOptions::default().invalid_inputs(InvalidInputs::Reject))
            .create(inputs)
            .await
            .unwrap();
        for (index, outcome) in result.outcomes.iter().enumerate() {
            match (BAD.iter().find(|(i, _)| *i == index), outcome) {
                (Some((_, field)), ItemOutcome::Failed(failure)) => match &failure.cause {
                    FailureCause::Invalid(e) => assert_eq!(e.field, *field, "{version}"),
                    other => {
                        panic!("{version}: item {index} should be the client's refusal: {other:?}")
                    }
                },
                (None, ItemOutcome::Succeeded(_)) => {}
                (_, other) => panic!("{version}: item {index}: {other:?}"),
            }
        }
        assert_eq!(
            batch_creates(&sandbox),
            1,
            "{version}: one request for the three good rows"
        );
        assert_eq!(sandbox.live_count("leads"), 3, "{version}");
        sandbox.shutdown().await;
    }
}

#[tokio::test]
async fn without_account_checks_the_sandbox_refuses_the_whole_batch() {
    for version in ApiVersion::ALL.iter().copied() {
        let Account {
            sandbox,
            client,
            inputs,
        } = account(version).await;
        assert!(!client.leads().account_checks(), "off by default");
        let result = client
            .leads()
            .bulk(BulkOptions::default().split_refused(false))
            .create(inputs.clone())
            .await
            .unwrap();
        for outcome in &result.outcomes {
            let ItemOutcome::Failed(failure) = outcome else {
                panic!("{version}: one bad row refuses every row: {outcome:?}");
            };
            let FailureCause::RequestFailed(error) = &failure.cause else {
                panic!(
                    "{version}: expected the request's refusal: {:?}",
                    failure.cause
                );
            };
            let api = error.api_error().expect("HubSpot's answer");
            assert_eq!(api.status, 400, "{version}");
            assert!(api.is_validation_error(), "{version}: {api:?}");
        }
        assert_eq!(batch_creates(&sandbox), 1, "{version}");
        assert_eq!(sandbox.live_count("leads"), 0, "{version}: nothing written");
        // Each bad row alone is refused for its own value: any one of them costs the batch.
        for (index, field) in BAD {
            let alone = client
                .leads()
                .bulk(BulkOptions::default().split_refused(false))
                .create(vec![inputs[index].clone()])
                .await
                .unwrap();
            let ItemOutcome::Failed(failure) = &result_outcome(alone) else {
                panic!("{version}: item {index} alone was accepted");
            };
            assert!(
                format!("{:?}", failure.cause).contains(field),
                "{version}: item {index}: {:?}",
                failure.cause
            );
        }
        sandbox.shutdown().await;
    }
}

/// The account data reads a call made: `(method, path)` of each request after `skip`, less
/// the write itself.
fn reads_since(sandbox: &Sandbox, skip: usize) -> Vec<String> {
    sandbox
        .request_log()
        .into_iter()
        .skip(skip)
        .filter(|r| r.method == "GET")
        .map(|r| r.path)
        .collect()
}

#[tokio::test]
async fn the_checks_read_only_what_the_writes_name_and_once_per_client() {
    for version in ApiVersion::ALL.iter().copied() {
        let sandbox = sandbox(SandboxConfig::new()).await;
        let client = client_with_checks(&sandbox, version);
        let contact = create_contact(&client, "grace@example.com").await;
        let skip = sandbox.request_log().len();
        client
            .leads()
            .create(lead_input("Plain", &contact))
            .await
            .unwrap();
        let reads = reads_since(&sandbox, skip);
        assert!(
            reads[0].ends_with("/leads"),
            "{version}: definitions first: {reads:?}"
        );
        match version {
            // The rules are the account's on 2026-09 writes only.
            ApiVersion::V3 => assert_eq!(reads.len(), 1, "{version}: {reads:?}"),
            _ => {
                assert_eq!(reads.len(), 2, "{version}: {reads:?}");
                assert!(
                    reads[1].ends_with("/0-136") && reads[1].contains("property-validations"),
                    "{version}: the rules, by type id: {reads:?}"
                );
            }
        }

        let skip = sandbox.request_log().len();
        let owner = client.owners().list().await.unwrap()[0].id.clone();
        let skip_owner_list = sandbox.request_log().len() - skip;
        client
            .leads()
            .create(
                lead_input("Owned", &contact)
                    .property("hubspot_owner_id", &owner)
                    .property("hs_pipeline_stage", "attempting-stage-id"),
            )
            .await
            .unwrap();
        let reads = reads_since(&sandbox, skip + skip_owner_list);
        assert_eq!(
            reads.len(),
            2,
            "{version}: pipelines and owners, once: {reads:?}"
        );
        assert!(
            reads.iter().any(|p| p.ends_with("/pipelines/leads")
                || p.ends_with("/leads") && p.contains("pipelines")),
            "{version}: {reads:?}"
        );
        assert!(
            reads.iter().any(|p| p.contains("owners")),
            "{version}: {reads:?}"
        );

        // Cached: a second write reads nothing.
        let skip = sandbox.request_log().len();
        client
            .leads()
            .create(lead_input("Again", &contact).property("hubspot_owner_id", &owner))
            .await
            .unwrap();
        assert_eq!(
            reads_since(&sandbox, skip),
            Vec::<String>::new(),
            "{version}"
        );
        sandbox.shutdown().await;
    }
}

fn client_with_checks(sandbox: &Sandbox, version: ApiVersion) -> Client {
    Client::builder()
        .access_token(crate::common::TOKEN)
        .base_url(sandbox.base_url())
        .retry(crate::common::fast_retry())
        .rate_limits(hubspot_crm::RateLimits::off())
        .api_version(version)
        .account_checks(true)
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_clients_switch_holds_for_every_handle_unless_a_handle_turns_it_off() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client_with_checks(&sandbox, ApiVersion::V3);
    assert!(client.account_checks());
    let contact = create_contact(&client, "ada@example.com").await;
    let bad = || lead_input("Bad", &contact).property("hs_lead_label", "LUKEWARM");
    match client.leads().create(bad()).await {
        Err(Error::Validation(e)) => assert_eq!(e.field, "hs_lead_label"),
        other => panic!("expected the client's refusal, got {other:?}"),
    }
    let unchecked = client.leads().with_account_checks(false);
    assert!(!unchecked.account_checks());
    let refused = unchecked.create(bad()).await.unwrap_err();
    let api = refused.api_error().expect("sent, and refused by HubSpot");
    assert!(api.is_validation_error(), "{api:?}");
    sandbox.shutdown().await;
}

/// A second lead pipeline, `outbound`, with one stage, `outbound-new`.
fn outbound_pipeline() -> PipelineInput {
    PipelineInput {
        display_order: 1,
        label: "Outbound".into(),
        pipeline_id: Some("outbound".into()),
        stages: vec![PipelineStageInput {
            display_order: 0,
            label: "New".into(),
            metadata: Default::default(),
            stage_id: Some("outbound-new".into()),
        }],
    }
}

#[tokio::test]
async fn a_change_is_checked_against_the_pipeline_it_names_else_against_every_pipeline() {
    for version in ApiVersion::ALL.iter().copied() {
        let sandbox = sandbox(SandboxConfig::new()).await;
        let client = client_with_checks(&sandbox, version);
        let leads = client.leads();
        client
            .pipelines()
            .create("leads", outbound_pipeline())
            .await
            .unwrap();
        let contact = create_contact(&client, "ada@example.com").await;
        let lead = leads.create(lead_input("Moving", &contact)).await.unwrap();
        let default = client.pipelines().of("leads").await.unwrap();
        let default = default.default_pipeline().unwrap().id.clone();
        let change = || RecordUpdate::new(lead.id.clone());

        // Named with its pipeline, a stage must be that pipeline's.
        let refused = leads
            .update(
                change()
                    .property("hs_pipeline", &default)
                    .property("hs_pipeline_stage", "outbound-new"),
            )
            .await;
        match refused {
            Err(Error::Validation(e)) => {
                assert_eq!(e.field, "hs_pipeline_stage", "{version}");
                assert!(e.reason.contains("outbound"), "{version}: {e}");
            }
            other => panic!("{version}: another pipeline's stage: {other:?}"),
        }
        match leads
            .update(change().property("hs_pipeline", "no-such-pipeline"))
            .await
        {
            Err(Error::Validation(e)) => assert_eq!(e.field, "hs_pipeline", "{version}"),
            other => panic!("{version}: an unknown pipeline: {other:?}"),
        }
        // A new lead naming no pipeline goes to the account's default, which HubSpot's
        // answers do not mark: the client lets any pipeline's stage pass, and HubSpot
        // (here the sandbox) judges it.
        let sent = leads
            .create(lead_input("New", &contact).property("hs_pipeline_stage", "outbound-new"))
            .await
            .unwrap_err();
        let refused = sent.api_error().expect("sent, and refused by the sandbox");
        assert_eq!(
            refused.invalid_properties(),
            ["hs_pipeline_stage"],
            "{version}"
        );
        // Moved with its pipeline, then within it by stage alone: the client cannot know
        // the record's pipeline, so any pipeline's stage passes its checks.
        leads
            .update(
                change()
                    .property("hs_pipeline", "outbound")
                    .property("hs_pipeline_stage", "outbound-new"),
            )
            .await
            .unwrap();
        leads
            .update(change().property("hs_pipeline_stage", "outbound-new"))
            .await
            .unwrap();
        // Clearing the owner is no owner to check.
        leads
            .update(change().property("hubspot_owner_id", ""))
            .await
            .unwrap();
        sandbox.shutdown().await;
    }
}

/// A sandbox with a rule: lead names at most 12 characters; on v3 too when `on_v3`.
async fn with_name_rule(on_v3: bool) -> Sandbox {
    let config = SandboxConfig::new()
        .property_validation("leads", "hs_lead_name", "MAX_LENGTH", ["12"])
        .property_validations_on_v3(on_v3);
    sandbox(config).await
}

#[tokio::test]
async fn on_2026_09_the_accounts_validation_rules_are_checked_before_sending() {
    let sandbox = with_name_rule(false).await;
    let client = client_with_checks(&sandbox, ApiVersion::V2026_09);
    let contact = create_contact(&client, "ada@example.com").await;
    let skip = sandbox.request_log().len();
    match client
        .leads()
        .create_many(vec![
            lead_input("Short name", &contact),
            lead_input("A name far too long", &contact),
        ])
        .await
    {
        Err(Error::Validation(e)) => {
            assert_eq!((e.item, e.field.as_str()), (Some(1), "hs_lead_name"));
            assert!(e.reason.contains("MAX_LENGTH"), "{e}");
        }
        other => panic!("expected the rule to refuse item 1: {other:?}"),
    }
    assert!(
        sandbox
            .request_log()
            .iter()
            .skip(skip)
            .all(|r| r.method == "GET"),
        "nothing written"
    );
    sandbox.shutdown().await;
}

/// HubSpot is unclear on whether v3 writes obey the rules: the client leaves them to
/// HubSpot there, and under either reading every input ends with HubSpot's answer.
#[tokio::test]
async fn on_v3_the_rules_are_left_to_hubspot_under_either_reading() {
    for on_v3 in [false, true] {
        let sandbox = with_name_rule(on_v3).await;
        let client = client_with_checks(&sandbox, ApiVersion::V3);
        let contact = create_contact(&client, "ada@example.com").await;
        let result = client
            .leads()
            .create_many(vec![
                lead_input("Short name", &contact),
                lead_input("A name far too long", &contact),
            ])
            .await
            .unwrap();
        assert!(
            matches!(result.outcomes[0], ItemOutcome::Succeeded(_)),
            "{on_v3}"
        );
        match (&result.outcomes[1], on_v3) {
            (ItemOutcome::Succeeded(_), false) => {}
            (ItemOutcome::Failed(failure), true) => match &failure.cause {
                FailureCause::Rejected(error) => {
                    assert!(format!("{error:?}").contains("hs_lead_name"), "{error:?}")
                }
                other => panic!("expected HubSpot's refusal of item 1: {other:?}"),
            },
            (other, _) => panic!("rules on v3 {on_v3}: {other:?}"),
        }
        sandbox.shutdown().await;
    }
}

#[tokio::test]
async fn bulk_updates_and_unique_creates_are_checked_too() {
    for version in ApiVersion::ALL.iter().copied() {
        let Account {
            sandbox,
            client,
            inputs,
        } = account(version).await;
        let leads = client.leads().with_account_checks(true);
        let created = leads
            .create_many(vec![inputs[0].clone(), inputs[2].clone()])
            .await
            .unwrap()
            .into_result()
            .unwrap();
        let writes = sandbox.request_log().len();
        let updates = vec![
            RecordUpdate::new(created[0].id.clone()).property("hs_lead_label", "WARM"),
            RecordUpdate::new(created[1].id.clone()).property("hubspot_owner_id", "987654321"),
        ];
        match leads.update_many(updates).await {
            Err(Error::Validation(e)) => assert_eq!(
                (e.item, e.field.as_str()),
                (Some(1), "hubspot_owner_id"),
                "{version}"
            ),
            other => panic!("{version}: an unknown owner in an update: {other:?}"),
        }
        client
            .properties()
            .ensure(
                "leads",
                hubspot_crm::NewProperty::string("external_id", "External id")
                    .unique()
                    .in_group("lead_information"),
            )
            .await
            .unwrap();
        let keyed: Vec<NewRecord> = inputs
            .iter()
            .enumerate()
            .map(|(i, input)| input.clone().property("external_id", format!("ext-{i}")))
            .collect();
        match leads.unique_by("external_id").create(keyed).await {
            Err(Error::Validation(e)) => assert_eq!(
                (e.item, e.field.as_str()),
                (Some(1), "hs_pipeline_stage"),
                "{version}"
            ),
            other => panic!("{version}: a bad stage in a unique create: {other:?}"),
        }
        let writes_since: Vec<_> = sandbox
            .request_log()
            .into_iter()
            .skip(writes)
            .filter(|r| r.path.contains("/objects/") && r.method != "GET")
            .map(|r| r.path)
            .collect();
        assert_eq!(
            writes_since,
            Vec::<String>::new(),
            "{version}: no record written"
        );
        sandbox.shutdown().await;
    }
}
