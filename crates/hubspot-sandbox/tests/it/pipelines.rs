//! Pipelines as account data: the provisioned ones, the pipelines API on both path families,
//! and records' stage values following what the pipelines hold (a created stage accepted at
//! once, an archived one or another pipeline's refused), single and batch.

use serde_json::{Value, json};

use crate::common::{Api, assert_error, lead_body};

const V3: &str = "/crm/v3/pipelines";
const DATED: &str = "/crm/pipelines/2026-09";

/// The stages of the lead pipeline HubSpot provisions, in order.
const LEAD_STAGES: [&str; 5] = [
    "new-stage-id",
    "attempting-stage-id",
    "connected-stage-id",
    "qualified-stage-id",
    "unqualified-stage-id",
];

/// The message HubSpot sends for one refused value, in its key order.
fn refused_value_message(name: &str, message: &str, code: &str) -> String {
    let quoted = |s: &str| Value::String(s.to_string()).to_string();
    format!(
        "Property values were not valid: [{{\"isValid\":false,\"message\":{m},\"error\":{c},\"name\":{n},\"localizedErrorMessage\":{m}}}]",
        m = quoted(message),
        c = quoted(code),
        n = quoted(name),
    )
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect()
}

/// A lead pipeline `label` with two stages, `{prefix}-open` and `{prefix}-won`, chosen ids.
fn second_lead_pipeline(label: &str, prefix: &str) -> Value {
    json!({
        "label": label,
        "displayOrder": 1,
        "stages": [
            {"label": "Open", "displayOrder": 0, "metadata": {}, "stageId": format!("{prefix}-open")},
            {"label": "Won", "displayOrder": 1, "metadata": {}, "stageId": format!("{prefix}-won")},
        ]
    })
}

/// A lead (with a contact) and its id.
async fn lead(api: &Api) -> String {
    let contact = api.contact("pipelines@example.com").await;
    api.lead("Pipeline lead", &contact).await
}

async fn lead_stage(api: &Api, lead: &str) -> (Value, Value) {
    let (status, body) = api
        .get(&format!(
            "/crm/v3/objects/leads/{lead}?properties=hs_pipeline,hs_pipeline_stage"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    (
        body["properties"]["hs_pipeline"].clone(),
        body["properties"]["hs_pipeline_stage"].clone(),
    )
}

#[tokio::test]
async fn hubspot_provisions_a_lead_a_deal_and_a_ticket_pipeline_on_both_paths() {
    let api = Api::start().await;
    for prefix in [V3, DATED] {
        let (status, leads) = api.get(&format!("{prefix}/leads")).await;
        assert_eq!(status, 200, "{leads}");
        assert_eq!(ids(&leads["results"]), ["lead-pipeline-id"]);
        let pipeline = &leads["results"][0];
        assert_eq!(pipeline["label"], "Lead pipeline");
        assert_eq!(pipeline["archived"], false);
        // "The default pipelines will have createdAt = 0" (spec).
        assert_eq!(pipeline["createdAt"], "1970-01-01T00:00:00.000Z");
        assert_eq!(ids(&pipeline["stages"]), LEAD_STAGES);
        let orders: Vec<i64> = pipeline["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["displayOrder"].as_i64().unwrap())
            .collect();
        assert_eq!(orders, [0, 1, 2, 3, 4]);
        assert_eq!(
            pipeline["stages"][0]["writePermissions"],
            "CRM_PERMISSIONS_ENFORCEMENT"
        );

        let (_, deals) = api.get(&format!("{prefix}/deals/default")).await;
        assert_eq!(deals["label"], "Sales Pipeline");
        assert_eq!(deals["stages"][0]["id"], "appointmentscheduled");
        assert_eq!(deals["stages"][0]["metadata"]["probability"], "0.2");
        assert_eq!(deals["stages"][5]["id"], "closedwon");
        assert_eq!(deals["stages"][5]["metadata"]["probability"], "1.0");
        assert_eq!(deals["stages"][5]["metadata"]["isClosed"], "true");

        let (_, tickets) = api.get(&format!("{prefix}/0-5/0/stages")).await;
        assert_eq!(ids(&tickets["results"]), ["1", "2", "3", "4"]);
        assert_eq!(tickets["results"][3]["metadata"]["ticketState"], "CLOSED");

        let (status, contacts) = api.get(&format!("{prefix}/contacts")).await;
        assert_eq!((status, contacts), (200, json!({"results": []})));
        let (status, body) = api.get(&format!("{prefix}/leads/nope")).await;
        assert_eq!(status, 404);
        assert_error(&body, "OBJECT_NOT_FOUND");
        let (status, audit) = api
            .get(&format!("{prefix}/leads/lead-pipeline-id/audit"))
            .await;
        assert_eq!((status, audit), (200, json!({"results": []})));
    }
}

#[tokio::test]
async fn a_new_lead_starts_in_the_first_stage_of_its_pipeline() {
    let api = Api::start().await;
    let first = lead(&api).await;
    assert_eq!(
        lead_stage(&api, &first).await,
        (json!("lead-pipeline-id"), json!("new-stage-id"))
    );
    let (status, created) = api
        .post(
            &format!("{V3}/leads"),
            second_lead_pipeline("Partners", "p"),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    // No `pipelineId` was chosen: the sandbox handed out a numeric one.
    let partners = created["id"].as_str().unwrap().to_string();
    assert!(partners.bytes().all(|b| b.is_ascii_digit()), "{partners}");
    let contact = api.contact("second@example.com").await;
    let mut body = lead_body("In partners", &contact);
    body["properties"]["hs_pipeline"] = json!(partners);
    let (status, created) = api.post("/crm/v3/objects/leads", body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        lead_stage(&api, id).await,
        (json!(partners), json!("p-open"))
    );
}

#[tokio::test]
async fn a_created_stage_is_accepted_on_a_lead_at_once_and_refused_once_archived() {
    let api = Api::start().await;
    let lead = lead(&api).await;
    for (prefix, stage) in [(V3, "nurturing"), (DATED, "nurturing-dated")] {
        let (status, created) = api
            .post(
                &format!("{prefix}/leads/lead-pipeline-id/stages"),
                json!({"label": format!("Nurturing {stage}"), "displayOrder": 5, "metadata": {}, "stageId": stage}),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["id"], stage);
        // The property lists it among its options at once.
        let (_, definition) = api.get("/crm/v3/properties/leads/hs_pipeline_stage").await;
        let options: Vec<&str> = definition["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["value"].as_str().unwrap())
            .collect();
        assert!(options.contains(&stage), "{options:?}");
        let update = json!({"properties": {"hs_pipeline_stage": stage}});
        let (status, body) = api
            .send(
                "PATCH",
                &format!("/crm/v3/objects/leads/{lead}"),
                Some(update.clone()),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(lead_stage(&api, &lead).await.1, json!(stage));

        let (status, _) = api
            .send(
                "DELETE",
                &format!("{prefix}/leads/lead-pipeline-id/stages/{stage}"),
                None,
            )
            .await;
        assert_eq!(status, 204);
        let (status, body) = api
            .send(
                "PATCH",
                &format!("/crm/objects/2026-09/leads/{lead}"),
                Some(update),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["errors"][0]["code"], "INVALID_OPTION");
        let (_, definition) = api
            .get("/crm/properties/2026-09/leads/hs_pipeline_stage")
            .await;
        assert!(
            !definition["options"]
                .to_string()
                .contains(&format!("\"{stage}\"")),
            "{definition}"
        );
    }
}

#[tokio::test]
async fn a_stage_of_another_pipeline_is_refused_with_the_stages_of_the_records_own() {
    let api = Api::start().await;
    let lead = lead(&api).await;
    let (_, partners) = api
        .post(
            &format!("{DATED}/leads"),
            second_lead_pipeline("Partners", "p"),
        )
        .await;
    let partners = partners["id"].as_str().unwrap().to_string();
    let allowed = LEAD_STAGES.join(", ");
    let message = format!("p-open was not one of the allowed options: [{allowed}]");
    let (status, body) = api
        .send(
            "PATCH",
            &format!("/crm/v3/objects/leads/{lead}"),
            Some(json!({"properties": {"hs_pipeline_stage": "p-open"}})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let correlation = body["correlationId"].as_str().unwrap().to_string();
    assert_eq!(
        body,
        json!({
            "status": "error",
            "message": refused_value_message("hs_pipeline_stage", &message, "INVALID_OPTION"),
            "correlationId": correlation,
            "category": "VALIDATION_ERROR",
            "errors": [{
                "message": message,
                "code": "INVALID_OPTION",
                "context": {"propertyName": ["hs_pipeline_stage"]}
            }]
        })
    );
    assert_eq!(lead_stage(&api, &lead).await.1, json!("new-stage-id"));
    // Moving the lead to that pipeline in the same write makes it its stage.
    let move_both = json!({"properties": {"hs_pipeline": partners, "hs_pipeline_stage": "p-won"}});
    let (status, body) = api
        .send(
            "PATCH",
            &format!("/crm/objects/2026-09/leads/{lead}"),
            Some(move_both),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        lead_stage(&api, &lead).await,
        (json!(partners), json!("p-won"))
    );
    // From there, the lead pipeline's stages are another pipeline's.
    let (status, body) = api
        .send(
            "PATCH",
            &format!("/crm/v3/objects/leads/{lead}"),
            Some(json!({"properties": {"hs_pipeline_stage": "new-stage-id"}})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        "new-stage-id was not one of the allowed options: [p-open, p-won]"
    );
}

#[tokio::test]
async fn a_batch_with_a_stage_of_another_pipeline_is_refused_whole_or_per_input() {
    let api = Api::start().await;
    let contact = api.contact("batch@example.com").await;
    let (_, _) = api
        .post(
            &format!("{V3}/leads"),
            second_lead_pipeline("Partners", "p"),
        )
        .await;
    let input = |name: &str, stage: &str, trace: Option<&str>| {
        let mut body = lead_body(name, &contact);
        body["properties"]["hs_pipeline_stage"] = json!(stage);
        if let Some(t) = trace {
            body["objectWriteTraceId"] = json!(t);
        }
        body
    };
    for path in [
        "/crm/v3/objects/leads/batch/create",
        "/crm/objects/2026-09/leads/batch/create",
    ] {
        let untraced = json!({"inputs": [
            input("Good", "attempting-stage-id", None),
            input("Bad", "p-won", None),
        ]});
        let (status, body) = api.post(path, untraced).await;
        assert_eq!(status, 400, "{body}");
        let message = format!(
            "p-won was not one of the allowed options: [{}]",
            LEAD_STAGES.join(", ")
        );
        assert_eq!(
            body["message"],
            refused_value_message("hs_pipeline_stage", &message, "INVALID_OPTION")
        );
        assert!(body.get("errors").is_none(), "refused whole, bare: {body}");
        assert_eq!(api.sandbox.live_count("leads"), 0, "nothing written");

        let traced = json!({"inputs": [
            input("Good", "attempting-stage-id", Some("t-good")),
            input("Bad", "p-won", Some("t-bad")),
        ]});
        let (status, body) = api.post(path, traced).await;
        assert_eq!(status, 207, "{body}");
        assert_eq!(
            body["results"][0]["properties"]["hs_pipeline_stage"],
            "attempting-stage-id"
        );
        assert_eq!(
            body["errors"][0]["context"]["objectWriteTraceId"],
            json!(["t-bad"])
        );
        assert_eq!(body["errors"][0]["errors"][0]["code"], "INVALID_OPTION");
        // Clean up for the other path.
        let id = body["results"][0]["id"].clone();
        let (status, _) = api
            .post(
                "/crm/v3/objects/leads/batch/archive",
                json!({"inputs": [{"id": id}]}),
            )
            .await;
        assert_eq!(status, 204);
    }
}

#[tokio::test]
async fn deal_stages_follow_the_deal_pipeline_property() {
    let api = Api::start().await;
    let (status, created) = api
        .post(
            &format!("{V3}/deals"),
            json!({"label": "Renewals", "displayOrder": 1, "stages": [
                {"label": "Up for renewal", "displayOrder": 0, "metadata": {"probability": 0.5}, "stageId": "renewal-due"},
                {"label": "Renewed", "displayOrder": 1, "metadata": {"probability": "1.0"}, "stageId": "renewed"},
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["stages"][0]["metadata"]["probability"], "0.5");
    let renewals = created["id"].as_str().unwrap();
    // No pipeline given: the default one (first in display order) decides.
    let (status, body) = api
        .post(
            "/crm/v3/objects/deals",
            json!({"properties": {"dealname": "A", "dealstage": "renewed"}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["context"]["propertyName"],
        json!(["dealstage"])
    );
    let (status, body) = api
        .post(
            "/crm/objects/2026-09/deals",
            json!({"properties": {"dealname": "B", "pipeline": renewals, "dealstage": "renewed"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = api
        .post(
            "/crm/v3/objects/deals",
            json!({"properties": {"dealname": "C", "pipeline": "no-such-pipeline"}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        format!("no-such-pipeline was not one of the allowed options: [default, {renewals}]")
    );
}

#[tokio::test]
async fn pipeline_writes_are_checked_as_the_spec_describes() {
    let api = Api::start().await;
    // A deal stage needs its probability, 0.0 to 1.0 in steps of 0.1.
    for metadata in [
        json!({}),
        json!({"probability": "0.25"}),
        json!({"probability": "2"}),
    ] {
        let (status, body) = api
            .post(
                &format!("{V3}/deals"),
                json!({"label": "X", "displayOrder": 0, "stages": [{"label": "S", "displayOrder": 0, "metadata": metadata}]}),
            )
            .await;
        assert_eq!(status, 400, "{metadata}: {body}");
        assert_error(&body, "VALIDATION_ERROR");
    }
    let (status, body) = api
        .post(
            &format!("{DATED}/tickets/0/stages"),
            json!({"label": "Escalated", "displayOrder": 9, "metadata": {"ticketState": "PENDING"}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    // Stage labels are unique within a pipeline; pipeline labels within the type.
    let (status, body) = api
        .post(
            &format!("{V3}/leads/lead-pipeline-id/stages"),
            json!({"label": "Connected", "displayOrder": 9, "metadata": {}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = api
        .post(
            &format!("{V3}/leads"),
            second_lead_pipeline("Lead pipeline", "dup"),
        )
        .await;
    assert_eq!(status, 400);
    // A missing required field is the JSON's fault.
    let (status, body) = api
        .post(
            &format!("{V3}/leads"),
            json!({"label": "No stages", "displayOrder": 0}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid input JSON"),
        "{body}"
    );
}

#[tokio::test]
async fn archived_pipelines_leave_the_list_and_a_patch_restores_them() {
    let api = Api::start().await;
    let (_, created) = api
        .post(
            &format!("{V3}/leads"),
            second_lead_pipeline("Partners", "p"),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("{DATED}/leads/{id}");
    // `archived` on a live pipeline is refused (spec: only to restore).
    let (status, _) = api
        .send("PATCH", &path, Some(json!({"archived": true})))
        .await;
    assert_eq!(status, 400);
    let (status, _) = api.send("DELETE", &path, None).await;
    assert_eq!(status, 204);
    let (status, _) = api.get(&path).await;
    assert_eq!(status, 404);
    let (_, list) = api.get(&format!("{V3}/leads")).await;
    assert_eq!(ids(&list["results"]), ["lead-pipeline-id"]);
    let (status, _) = api.send("DELETE", &path, None).await;
    assert_eq!(status, 404, "archived already");
    let (status, restored) = api
        .send(
            "PATCH",
            &path,
            Some(json!({"archived": false, "label": "Partners again"})),
        )
        .await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(restored["archived"], false);
    assert_eq!(restored["label"], "Partners again");
    assert_eq!(ids(&restored["stages"]), ["p-open", "p-won"]);
}

#[tokio::test]
async fn a_replaced_pipeline_keeps_the_stages_it_lists_and_archives_the_rest() {
    let api = Api::start().await;
    let (_, created) = api
        .post(
            &format!("{V3}/leads"),
            second_lead_pipeline("Partners", "p"),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let created_at = created["stages"][1]["createdAt"].clone();
    let (status, replaced) = api
        .send(
            "PUT",
            &format!("{V3}/leads/{id}"),
            Some(json!({"label": "Partners", "displayOrder": 2, "stages": [
                {"label": "Signed", "displayOrder": 0, "metadata": {}, "stageId": "p-won"},
                {"label": "Lost", "displayOrder": 1, "metadata": {}},
            ]})),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    let stages = &replaced["stages"];
    assert_eq!(stages[0]["id"], "p-won");
    assert_eq!(stages[0]["label"], "Signed");
    assert_eq!(stages[0]["createdAt"], created_at);
    assert_eq!(stages[1]["label"], "Lost");
    assert_eq!(stages.as_array().unwrap().len(), 2, "p-open is archived");
    let (status, _) = api.get(&format!("{DATED}/leads/{id}/stages/p-open")).await;
    assert_eq!(status, 404);
    let (status, stage) = api
        .send(
            "PATCH",
            &format!("{DATED}/leads/{id}/stages/p-won"),
            Some(json!({"label": "Won", "metadata": {}})),
        )
        .await;
    assert_eq!(status, 200, "{stage}");
    assert_eq!(stage["label"], "Won");
}
