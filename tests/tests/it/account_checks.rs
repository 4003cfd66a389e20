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
            .create(inputs)
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
        assert_eq!(reads.len(), 2, "{version}: {reads:?}");
        assert!(
            reads[0].ends_with("/leads"),
            "{version}: definitions first: {reads:?}"
        );
        assert!(
            reads[1].ends_with("/0-136") && reads[1].contains("property-validations"),
            "{version}: the rules, by type id: {reads:?}"
        );

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
        // A new lead without a pipeline goes to the default one, so not to `outbound-new`.
        match leads
            .create(lead_input("New", &contact).property("hs_pipeline_stage", "outbound-new"))
            .await
        {
            Err(Error::Validation(e)) => assert_eq!(e.field, "hs_pipeline_stage", "{version}"),
            other => panic!("{version}: a new lead in the default pipeline: {other:?}"),
        }
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

#[tokio::test]
async fn the_accounts_validation_rules_are_checked_before_sending_on_both_versions() {
    for version in ApiVersion::ALL.iter().copied() {
        let config =
            SandboxConfig::new().property_validation("leads", "hs_lead_name", "MAX_LENGTH", ["12"]);
        let sandbox = sandbox(config).await;
        let client = client_with_checks(&sandbox, version);
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
                assert_eq!(
                    (e.item, e.field.as_str()),
                    (Some(1), "hs_lead_name"),
                    "{version}"
                );
                assert!(e.reason.contains("MAX_LENGTH"), "{version}: {e}");
            }
            other => panic!("{version}: expected the rule to refuse item 1: {other:?}"),
        }
        assert!(
            sandbox
                .request_log()
                .iter()
                .skip(skip)
                .all(|r| r.method == "GET"),
            "{version}: nothing written"
        );
        sandbox.shutdown().await;
    }
}
