//! The admin API: authentication, projects, validation with field names, the test clock.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::support::TestHub;

#[tokio::test]
async fn the_admin_api_needs_the_admin_token() {
    let hub = TestHub::new();
    for auth in [None, Some("Bearer wrong")] {
        let mut request = Request::builder().uri("/admin/v1/projects");
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = hub
            .router()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        let body: serde_json::Value =
            serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes())
                .unwrap();
        assert_eq!(body["code"], "UNAUTHORIZED", "{body}");
    }
}

#[tokio::test]
async fn a_project_shows_what_the_acqp_needs_and_never_the_hub_private_key() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let (status, project) = hub
        .admin("GET", &format!("/projects/{}", acqp.project.id), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(project["gatewayUrl"], "http://127.0.0.1:8480");
    assert_eq!(project["clientId"], acqp.client_id.as_str());
    assert_eq!(project["signatureType"], "RSA256");
    assert_eq!(
        project["notifyRetrySchedule"],
        json!([0, 4, 30, 60, 300, 600, 3600])
    );
    assert!(
        project["acquirerId"].as_str().unwrap().len() == 19,
        "{project}"
    );
    let text = project.to_string();
    let secret = hub.hub.project(&acqp.project.id).unwrap().hub_private_key;
    assert!(
        !text.contains(&secret[40..80]),
        "the hub's private key must not be shown: {text}"
    );
    assert!(project.get("hubPrivateKey").is_none(), "{text}");

    let (_, list) = hub.admin("GET", "/projects", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_project_input_names_the_field_and_creates_nothing() {
    let hub = TestHub::new();
    let key = linker_aplus::KeyPair::generate()
        .unwrap()
        .public
        .to_base64();
    let cases = [
        (
            json!({"name": "", "clientId": "C1", "acqpPublicKey": key}),
            "name",
        ),
        (
            json!({"name": "P", "clientId": "C1", "acqpPublicKey": "not a key"}),
            "acqpPublicKey",
        ),
        (
            json!({"name": "P", "clientId": "C1", "acqpPublicKey": key, "notifyUrl": "http://acqp.example/n"}),
            "notifyUrl",
        ),
        (
            json!({"name": "P", "clientId": "C1", "acqpPublicKey": key, "entryCodeDomains": ["https://x"]}),
            "entryCodeDomains",
        ),
        (
            json!({"name": "P", "clientId": "C1", "acqpPublicKey": key, "colour": "red"}),
            "colour",
        ),
        (
            json!({"name": "P", "clientId": 7, "acqpPublicKey": key}),
            "clientId",
        ),
    ];
    for (body, field) in cases {
        let (status, error) = hub.admin("POST", "/projects", Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {error}");
        assert_eq!(error["code"], "INVALID_INPUT", "{error}");
        assert!(
            error["message"].as_str().unwrap().contains(field),
            "{field} named in {error}"
        );
    }
    let (_, list) = hub.admin("GET", "/projects", None).await;
    assert_eq!(list, json!([]), "nothing half-created");
}

#[tokio::test]
async fn a_client_id_belongs_to_one_project() {
    let hub = TestHub::new();
    let key = linker_aplus::KeyPair::generate()
        .unwrap()
        .public
        .to_base64();
    let body = json!({"name": "P", "clientId": "SAME", "acqpPublicKey": key});
    let (status, _) = hub.admin("POST", "/projects", Some(body.clone())).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, error) = hub.admin("POST", "/projects", Some(body)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
}

#[tokio::test]
async fn projects_update_field_by_field() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let path = format!("/projects/{}", acqp.project.id);
    let (status, updated) = hub
        .admin("PATCH", &path, Some(json!({"notifyUrl": "https://acqp.example/notify", "privateCodeDomains": ["Pay.Acqp.Example"]})))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["notifyUrl"], "https://acqp.example/notify");
    assert_eq!(updated["privateCodeDomains"], json!(["pay.acqp.example"]));
    assert_eq!(updated["name"], "Test ACQP", "untouched fields stay");
    let (status, _) = hub
        .admin(
            "PATCH",
            &path,
            Some(json!({"notifyRetrySchedule": [10, 5]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = hub.admin("GET", "/projects/prj_nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_test_clock_moves_forward_only() {
    let hub = TestHub::new();
    let (_, before) = hub.admin("GET", "/clock", None).await;
    let (status, after) = hub
        .admin("POST", "/clock/advance", Some(json!({"seconds": 3600})))
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    let parse = |v: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(v["now"].as_str().unwrap()).unwrap()
    };
    assert_eq!((parse(&after) - parse(&before)).num_seconds(), 3600);
    let (status, _) = hub
        .admin("POST", "/clock/advance", Some(json!({"seconds": -1})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn ci_can_assign_cases_revoke_a_merchant_send_a_test_notification_and_read_a_run() {
    use crate::support::Wallet;
    use crate::support::{Ack, NotifyEndpoint};
    use crate::support::{PAY, upm_pay};

    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let other = hub.acqp_with(json!({"clientId": "OTHER_CLIENT"})).await;
    let project = acqp.project.id.clone();
    let wallet = Wallet::sign_in(&hub, &acqp, "A1").await;
    let merchant = hub.hub.merchants(&project).unwrap()[0].id.clone();
    let assignment = format!("/projects/{project}/merchants/{merchant}/assignment");
    let case_ids = |body: &serde_json::Value| -> Vec<String> {
        body["caseIds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_owned())
            .collect()
    };
    let wallet_cases = || async {
        let (status, cases) = wallet.send(&hub, "GET", "/cases", None).await;
        assert_eq!(status, StatusCode::OK, "{cases}");
        cases.to_string()
    };

    // Assignments: defaults, a list by hand that the wallet sees, a bad id that changes nothing.
    let (status, defaults) = hub.admin("GET", &assignment, None).await;
    assert_eq!(status, StatusCode::OK, "{defaults}");
    assert_eq!(defaults["custom"], false);
    assert!(
        case_ids(&defaults).len() > 2,
        "UPM and MPM defaults: {defaults}"
    );
    let (status, set) = hub
        .admin(
            "PUT",
            &assignment,
            Some(json!({"caseIds": ["UPM-02", "UPM-01"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["custom"], true);
    assert_eq!(case_ids(&set), ["UPM-01", "UPM-02"], "catalogue order");
    let seen = wallet_cases().await;
    assert!(
        seen.contains("UPM-01") && !seen.contains("MPC-01"),
        "the wallet sees only the assigned cases: {seen}"
    );
    for bad in [
        json!({"caseIds": ["UPM-01", "NOPE-9"]}),
        json!({"caseIds": []}),
    ] {
        let (status, refused) = hub.admin("PUT", &assignment, Some(bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    }
    let (_, unchanged) = hub.admin("GET", &assignment, None).await;
    assert_eq!(
        case_ids(&unchanged),
        ["UPM-01", "UPM-02"],
        "nothing half-written"
    );
    let (status, back) = hub
        .admin("PUT", &assignment, Some(json!({"caseIds": null})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(back, defaults, "back to the product defaults");
    let foreign = format!(
        "/projects/{}/merchants/{merchant}/assignment",
        other.project.id
    );
    let (status, _) = hub.admin("GET", &foreign, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another project's merchant");

    // A run as CI reads it, and not through another project.
    let run = wallet.start(&hub, "UPM-01").await;
    let code = wallet.code(&hub, &run).await;
    acqp.call(&hub, PAY, &upm_pay("ci-1", &code, "1000")).await;
    let (status, view) = hub
        .admin("GET", &format!("/projects/{project}/runs/{run}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["id"], run.as_str());
    assert!(
        view["events"].to_string().contains("ci-1"),
        "the pay is evidence: {view}"
    );
    let (status, _) = hub
        .admin(
            "GET",
            &format!("/projects/{}/runs/{run}", other.project.id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A test notification: valid for a signed ack, the reason for an unsigned one.
    let good = NotifyEndpoint::start(&acqp, Ack::Signed).await;
    let unsigned = NotifyEndpoint::start(&acqp, Ack::Unsigned).await;
    let notify = format!("/projects/{project}/test-notifications");
    let (status, check) = hub
        .admin("POST", &notify, Some(json!({"url": good.url})))
        .await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["verdict"]["acknowledged"], true, "{check}");
    let (_, check) = hub
        .admin(
            "POST",
            &notify,
            Some(json!({"url": unsigned.url, "success": false})),
        )
        .await;
    assert_eq!(check["verdict"]["acknowledged"], false, "{check}");
    assert!(
        check["verdict"]["problem"]
            .as_str()
            .unwrap_or_default()
            .contains("not signed"),
        "{check}"
    );
    assert_eq!(
        unsigned.received.lock().unwrap()[0].body["paymentResult"]["resultStatus"],
        "F"
    );
    let (status, refused) = hub
        .admin("POST", &notify, Some(json!({"url": "file:///etc/passwd"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    // Revoke: the wallet's session ends at once.
    let (status, revoked) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/merchants/{merchant}/revoke"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    let (status, refused) = wallet.send(&hub, "GET", "/cases", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    assert_eq!(refused["code"], "SESSION_REVOKED", "{refused}");
}
