//! v3 and v4 associations, labels and the primary-contact rule.

use serde_json::{Value, json};

use crate::common::{Api, assert_error};

#[tokio::test]
async fn labels_in_both_directions() {
    let api = Api::start().await;
    let (status, body) = api.get("/crm/v4/associations/leads/contacts/labels").await;
    assert_eq!(status, 200);
    let results = body["results"].as_array().unwrap();
    let find = |id: u64| results.iter().find(|r| r["typeId"] == id).cloned().unwrap();
    assert_eq!(find(578)["label"], "Primary");
    assert_eq!(find(578)["category"], "HUBSPOT_DEFINED");
    assert_eq!(find(608)["label"], Value::Null);

    let (_, body) = api.get("/crm/v4/associations/0-136/0-2/labels").await;
    let results = body["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["typeId"] == 610 && r["label"].is_null())
    );
    assert!(
        results
            .iter()
            .any(|r| r["typeId"] == 580 && r["label"] == "Primary")
    );
    assert!(results.iter().any(|r| r["category"] == "USER_DEFINED"));

    let (_, body) = api.get("/crm/v4/associations/contacts/leads/labels").await;
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["typeId"] == 609)
    );
    let (_, body) = api
        .get("/crm/v4/associations/contacts/companies/labels")
        .await;
    let results = body["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["typeId"] == 279 && r["label"].is_null())
    );
    assert!(
        results
            .iter()
            .any(|r| r["typeId"] == 1 && r["label"] == "Primary")
    );
}

#[tokio::test]
async fn v3_associate_list_and_remove() {
    let api = Api::start().await;
    let contact = api.contact("v3@example.com").await;
    let lead = api.lead("V3", &contact).await;
    let (_, company) = api
        .post(
            "/crm/v3/objects/companies",
            json!({"properties": {"name": "Acme", "domain": "acme.test"}}),
        )
        .await;
    let company = company["id"].as_str().unwrap().to_string();

    let path = format!("/crm/v3/objects/leads/{lead}/associations/companies/{company}/610");
    let (status, body) = api.send("PUT", &path, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], lead.as_str());
    assert_eq!(
        body["associations"]["companies"]["results"][0]["id"],
        company.as_str()
    );
    assert_eq!(
        body["associations"]["companies"]["results"][0]["type"],
        "lead_to_company"
    );
    assert!(body["associations"]["contacts"].is_object());

    let (_, list) = api
        .get(&format!(
            "/crm/v3/objects/leads/{lead}/associations/companies"
        ))
        .await;
    assert_eq!(list["results"].as_array().unwrap().len(), 1);
    let (_, back) = api
        .get(&format!(
            "/crm/v3/objects/companies/{company}/associations/leads"
        ))
        .await;
    assert_eq!(back["results"][0]["id"], lead.as_str());
    assert_eq!(back["results"][0]["type"], "company_to_lead");

    let (status, body) = api
        .send(
            "PUT",
            &format!("/crm/v3/objects/leads/{lead}/associations/companies/{company}/1"),
            None,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = api
        .send(
            "PUT",
            &format!("/crm/v3/objects/leads/{lead}/associations/companies/77/610"),
            None,
        )
        .await;
    assert_eq!(status, 404);

    let (status, _) = api.send("DELETE", &path, None).await;
    assert_eq!(status, 204);
    let (_, list) = api
        .get(&format!(
            "/crm/v3/objects/leads/{lead}/associations/companies"
        ))
        .await;
    assert_eq!(list["results"].as_array().unwrap().len(), 0);
    // The lead keeps its primary contact, so it is still there.
    let (status, _) = api.get(&format!("/crm/v3/objects/leads/{lead}")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn v4_associate_list_and_batch() {
    let api = Api::start().await;
    let contact = api.contact("v4@example.com").await;
    let lead = api.lead("V4", &contact).await;
    let (_, company) = api
        .post(
            "/crm/v3/objects/companies",
            json!({"properties": {"name": "Globex"}}),
        )
        .await;
    let company = company["id"].as_str().unwrap().to_string();

    let (status, body) = api
        .send(
            "PUT",
            &format!("/crm/v4/objects/leads/{lead}/associations/companies/{company}"),
            Some(json!([
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 580},
                {"associationCategory": "USER_DEFINED", "associationTypeId": 1001}
            ])),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["fromObjectTypeId"], "0-136");
    assert_eq!(body["toObjectTypeId"], "0-2");
    assert_eq!(body["fromObjectId"], lead.parse::<u64>().unwrap());
    assert_eq!(
        body["labels"],
        json!(["Primary", "Decision maker's company"])
    );

    let (status, body) = api
        .get(&format!(
            "/crm/v4/objects/0-136/{lead}/associations/contacts"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["results"][0]["toObjectId"],
        contact.parse::<u64>().unwrap()
    );
    assert_eq!(body["results"][0]["associationTypes"][0]["typeId"], 578);
    assert_eq!(
        body["results"][0]["associationTypes"][0]["label"],
        "Primary"
    );

    let (_, body) = api
        .get(&format!(
            "/crm/v4/objects/companies/{company}/associations/leads"
        ))
        .await;
    let types: Vec<u64> = body["results"][0]["associationTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["typeId"].as_u64().unwrap())
        .collect();
    assert_eq!(types, [581, 1002]);

    let (status, body) = api
        .send(
            "PUT",
            &format!("/crm/v4/objects/leads/{lead}/associations/default/companies/{company}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["results"][0]["associationSpec"]["associationTypeId"],
        610
    );

    // Batch read: one known, one unknown id.
    let (status, body) = api
        .post(
            "/crm/v4/associations/leads/companies/batch/read",
            json!({"inputs": [{"id": lead}, {"id": "5"}]}),
        )
        .await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["results"][0]["from"]["id"], lead.as_str());
    assert_eq!(
        body["results"][0]["to"][0]["associationTypes"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let (status, _) = api
        .send(
            "DELETE",
            &format!("/crm/v4/objects/leads/{lead}/associations/companies/{company}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, body) = api
        .get(&format!(
            "/crm/v4/objects/leads/{lead}/associations/companies"
        ))
        .await;
    assert_eq!(body["results"].as_array().unwrap().len(), 0);

    // Batch create: one good, one with a bad type.
    let (status, body) = api
        .post(
            "/crm/v4/associations/leads/companies/batch/create",
            json!({"inputs": [
                {"from": {"id": lead}, "to": {"id": company}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 610}]},
                {"from": {"id": lead}, "to": {"id": company}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 9}]}
            ]}),
        )
        .await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["results"].as_array().unwrap().len(), 1);
    assert_eq!(body["errors"][0]["category"], "VALIDATION_ERROR");

    let (status, _) = api
        .post(
            "/crm/v4/associations/leads/companies/batch/archive",
            json!({"inputs": [{"from": {"id": lead}, "to": [{"id": company}]}]}),
        )
        .await;
    assert_eq!(status, 204);
    let (_, body) = api
        .get(&format!(
            "/crm/v4/objects/leads/{lead}/associations/companies"
        ))
        .await;
    assert_eq!(body["results"].as_array().unwrap().len(), 0);

    let too_many: Vec<Value> = (0..1001).map(|i| json!({"id": i.to_string()})).collect();
    let (status, body) = api
        .post(
            "/crm/v4/associations/leads/companies/batch/read",
            json!({"inputs": too_many}),
        )
        .await;
    assert_eq!(status, 400);
    assert_error(&body, "VALIDATION_ERROR");
}

#[tokio::test]
async fn removing_the_primary_contact_deletes_the_lead() {
    let api = Api::start().await;
    let contact = api.contact("primary@example.com").await;
    let other = api.contact("other@example.com").await;

    // v4: removing every association between lead and contact.
    let lead = api.lead("Doomed", &contact).await;
    let (status, _) = api
        .send(
            "DELETE",
            &format!("/crm/v4/objects/leads/{lead}/associations/contacts/{contact}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = api.get(&format!("/crm/v3/objects/leads/{lead}")).await;
    assert_eq!(status, 404);
    let (status, body) = api
        .get(&format!("/crm/v3/objects/leads/{lead}?archived=true"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["archived"], true);

    // v3: a lead with two primary contacts survives losing one, not both.
    let lead = api.lead("Two contacts", &contact).await;
    api.send(
        "PUT",
        &format!("/crm/v3/objects/leads/{lead}/associations/contacts/{other}/578"),
        None,
    )
    .await;
    api.send(
        "DELETE",
        &format!("/crm/v3/objects/leads/{lead}/associations/contacts/{contact}/578"),
        None,
    )
    .await;
    let (status, _) = api.get(&format!("/crm/v3/objects/leads/{lead}")).await;
    assert_eq!(status, 200);
    // Removing from the contact side (reverse type) works as well.
    api.send(
        "DELETE",
        &format!("/crm/v3/objects/contacts/{other}/associations/leads/{lead}/579"),
        None,
    )
    .await;
    let (status, _) = api.get(&format!("/crm/v3/objects/leads/{lead}")).await;
    assert_eq!(status, 404);

    // Archiving the contact takes its leads along.
    let lead = api.lead("Follows contact", &other).await;
    api.send("DELETE", &format!("/crm/v3/objects/contacts/{other}"), None)
        .await;
    let (status, _) = api.get(&format!("/crm/v3/objects/leads/{lead}")).await;
    assert_eq!(status, 404);
}
