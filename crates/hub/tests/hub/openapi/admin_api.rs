//! The admin API's real answers against the document: projects, the clock, merchants, forced
//! results, the exchange log and deliveries, runs as CI reads them, assignments, revocation and
//! test notifications.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

use super::schema::{Conformance, raw};
use super::upm_02_confirmed_and_declined;
use crate::support::{ADMIN_TOKEN, Ack, NotifyEndpoint, TestHub, Wallet};

#[tokio::test]
async fn real_admin_answers_match_the_documented_schemas() {
    let hub = TestHub::new();
    let mut c = Conformance::new();

    // Admin: projects, clock, errors.
    let key = linker_aplus::KeyPair::generate().unwrap();
    let (status, created) = hub
        .admin(
            "POST",
            "/projects",
            Some(json!({"name": "Docs", "clientId": "DOCS_1", "acqpPublicKey": key.public.to_base64(), "entryCodeDomains": ["pay.example"]})),
        )
        .await;
    c.check("POST", "/admin/v1/projects", status, &created);
    let docs_project = created["id"].as_str().unwrap().to_owned();
    let (status, body) = hub
        .admin("POST", "/projects", Some(json!({"name": "Docs", "clientId": "DOCS_1", "acqpPublicKey": key.public.to_base64()})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    c.check("POST", "/admin/v1/projects", status, &body);
    let (status, body) = hub
        .admin("POST", "/projects", Some(json!({"name": ""})))
        .await;
    c.check("POST", "/admin/v1/projects", status, &body);

    let acqp = hub.acqp().await;
    let project = acqp.project.id.clone();
    let (status, body) = hub.admin("GET", "/projects", None).await;
    c.check("GET", "/admin/v1/projects", status, &body);
    let (status, body) = hub
        .admin("GET", &format!("/projects/{project}"), None)
        .await;
    c.check("GET", "/admin/v1/projects/{id}", status, &body);
    let (status, body) = hub.admin("GET", "/projects/prj_nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    c.check("GET", "/admin/v1/projects/{id}", status, &body);
    let (status, body) = hub
        .admin(
            "PATCH",
            &format!("/projects/{docs_project}"),
            Some(json!({"notifyUrl": "https://acqp.example/n", "name": "Docs 2"})),
        )
        .await;
    c.check("PATCH", "/admin/v1/projects/{id}", status, &body);
    let (status, body) = hub.admin("GET", "/clock", None).await;
    c.check("GET", "/admin/v1/clock", status, &body);
    let (status, body) = hub
        .admin("POST", "/clock/advance", Some(json!({"seconds": 5})))
        .await;
    c.check("POST", "/admin/v1/clock/advance", status, &body);
    let request = Request::builder()
        .uri("/admin/v1/projects")
        .body(Body::empty())
        .unwrap();
    let (status, body) = raw(&hub, request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    c.check("GET", "/admin/v1/projects", status, &body);
    // A project token (the docs project's) on a hub-wide route and on another project's.
    let member = hub
        .hub
        .create_console_user(
            "docs@example.com",
            "correct horse",
            std::slice::from_ref(&docs_project),
        )
        .unwrap();
    let docs_token = hub
        .hub
        .rotate_project_token(&member, &docs_project)
        .unwrap()
        .token;
    for (template, path) in [
        ("/admin/v1/projects", "/admin/v1/projects".to_owned()),
        (
            "/admin/v1/projects/{id}/merchants",
            format!("/admin/v1/projects/{project}/merchants"),
        ),
    ] {
        let request = Request::builder()
            .uri(path)
            .header("authorization", format!("Bearer {docs_token}"))
            .body(Body::empty())
            .unwrap();
        let (status, body) = raw(&hub, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{template}: {body}");
        c.check("GET", template, status, &body);
    }

    // Admin: the project's Agent-Token.
    for id in [project.as_str(), "prj_nope"] {
        let (status, body) = hub
            .admin("POST", &format!("/projects/{id}/agent-token"), None)
            .await;
        c.check("POST", "/admin/v1/projects/{id}/agent-token", status, &body);
    }

    // Admin: merchants.
    let (status, invited) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/merchants"),
            Some(json!({"name": "Cafe", "mid": "D1", "email": "d1@shop.example", "products": ["UPM"]})),
        )
        .await;
    c.check(
        "POST",
        "/admin/v1/projects/{id}/merchants",
        status,
        &invited,
    );
    let merchant = invited["merchant"]["id"].as_str().unwrap().to_owned();
    let (status, body) = hub
        .admin("GET", &format!("/projects/{project}/merchants"), None)
        .await;
    c.check("GET", "/admin/v1/projects/{id}/merchants", status, &body);

    let forced_path = format!("/projects/{project}/forced-results");
    let (status, body) = hub
        .admin("POST", &forced_path, Some(json!({"api": "refund", "resultCode": "REFUND_IN_PROCESS", "when": {"field": "refundRequestId", "value": "x"}})))
        .await;
    c.check(
        "POST",
        "/admin/v1/projects/{id}/forced-results",
        status,
        &body,
    );
    let forced_id = body["id"].as_str().unwrap_or_default().to_owned();
    let (status, body) = hub
        .admin(
            "POST",
            &forced_path,
            Some(json!({"api": "nope", "resultCode": "SUCCESS"})),
        )
        .await;
    c.check(
        "POST",
        "/admin/v1/projects/{id}/forced-results",
        status,
        &body,
    );
    let (status, body) = hub.admin("GET", &forced_path, None).await;
    c.check(
        "GET",
        "/admin/v1/projects/{id}/forced-results",
        status,
        &body,
    );
    for id in [forced_id.as_str(), "frc_nope"] {
        let (status, body) = hub
            .admin("DELETE", &format!("{forced_path}/{id}"), None)
            .await;
        c.check(
            "DELETE",
            "/admin/v1/projects/{id}/forced-results/{forced}",
            status,
            &body,
        );
    }
    let (status, body) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/merchants/{merchant}/resend"),
            None,
        )
        .await;
    c.check(
        "POST",
        "/admin/v1/projects/{id}/merchants/{merchant}/resend",
        status,
        &body,
    );
    for csv in [
        "name,mid,email,products\nCafe Two,D2,d2@shop.example,MPM\nCafe Bad,D3,nope,UPM\n",
        "name,mid,email,products\nCafe Two,D2,d2@shop.example,MPM\n",
    ] {
        let request = Request::builder()
            .method("POST")
            .uri(format!("/admin/v1/projects/{project}/merchants/import"))
            .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
            .header("content-type", "text/csv")
            .body(Body::from(csv))
            .unwrap();
        let (status, body) = raw(&hub, request).await;
        c.check(
            "POST",
            "/admin/v1/projects/{id}/merchants/import",
            status,
            &body,
        );
    }
    let (status, body) = hub
        .admin("POST", &format!("/projects/{project}/payment-codes"), None)
        .await;
    c.check(
        "POST",
        "/admin/v1/projects/{id}/payment-codes",
        status,
        &body,
    );

    // Runs for the log, the deliveries and the run CI reads.
    let wallet = Wallet::sign_in(&hub, &acqp, "D9").await;
    let run = upm_02_confirmed_and_declined(&mut c, &hub, &acqp, &wallet).await;
    hub.hub.deliver_due().await.unwrap();

    // Admin: the log and the deliveries the runs produced.
    let (status, body) = hub
        .admin(
            "GET",
            &format!("/projects/{project}/exchanges?limit=50"),
            None,
        )
        .await;
    assert!(body.as_array().is_some_and(|a| !a.is_empty()), "{body}");
    c.check("GET", "/admin/v1/projects/{id}/exchanges", status, &body);
    let (status, body) = hub
        .admin("GET", &format!("/projects/{project}/deliveries"), None)
        .await;
    assert!(body.as_array().is_some_and(|a| !a.is_empty()), "{body}");
    c.check("GET", "/admin/v1/projects/{id}/deliveries", status, &body);

    // Admin: a run as CI reads it, assignments, revocation, a test notification.
    for id in [run.as_str(), "run_nope"] {
        let (status, body) = hub
            .admin("GET", &format!("/projects/{project}/runs/{id}"), None)
            .await;
        c.check("GET", "/admin/v1/projects/{id}/runs/{run}", status, &body);
    }
    let assignment = format!("/projects/{project}/merchants/{merchant}/assignment");
    let (status, body) = hub.admin("GET", &assignment, None).await;
    c.check(
        "GET",
        "/admin/v1/projects/{id}/merchants/{merchant}/assignment",
        status,
        &body,
    );
    for update in [
        json!({"caseIds": ["UPM-01", "UPM-02"]}),
        json!({"caseIds": ["NOPE-1"]}),
        json!({"caseIds": null}),
    ] {
        let (status, body) = hub.admin("PUT", &assignment, Some(update)).await;
        c.check(
            "PUT",
            "/admin/v1/projects/{id}/merchants/{merchant}/assignment",
            status,
            &body,
        );
    }
    let (status, body) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/merchants/{merchant}/revoke"),
            None,
        )
        .await;
    c.check(
        "POST",
        "/admin/v1/projects/{id}/merchants/{merchant}/revoke",
        status,
        &body,
    );
    let endpoint = NotifyEndpoint::start(&acqp, Ack::Signed).await;
    for request in [
        json!({"url": endpoint.url, "success": false, "amount": {"currency": "HKD", "value": "990"}}),
        json!({"url": "ftp://acqp.example/notify"}),
    ] {
        let (status, body) = hub
            .admin(
                "POST",
                &format!("/projects/{project}/test-notifications"),
                Some(request),
            )
            .await;
        c.check(
            "POST",
            "/admin/v1/projects/{id}/test-notifications",
            status,
            &body,
        );
    }

    // Admin: sandbox acceptance (the status, a sign-in ticket, the signed report).
    let (status, body) = hub
        .admin("GET", &format!("/projects/{project}/acceptance"), None)
        .await;
    c.check("GET", "/admin/v1/projects/{id}/acceptance", status, &body);
    let session = format!("/projects/{project}/acceptance/session");
    let (status, body) = hub.admin("POST", &session, Some(json!({}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "no products yet: {body}");
    c.check(
        "POST",
        "/admin/v1/projects/{id}/acceptance/session",
        status,
        &body,
    );
    let (status, body) = hub
        .admin(
            "PATCH",
            &format!("/projects/{project}"),
            Some(json!({"products": ["UPM"], "tspMode": true})),
        )
        .await;
    c.check("PATCH", "/admin/v1/projects/{id}", status, &body);
    for request in [json!({"mid": "ACC-1"}), json!({"mid": ""})] {
        let (status, body) = hub.admin("POST", &session, Some(request)).await;
        c.check(
            "POST",
            "/admin/v1/projects/{id}/acceptance/session",
            status,
            &body,
        );
    }
    let (status, body) = hub
        .admin("GET", &format!("/projects/{project}/acceptance"), None)
        .await;
    c.check("GET", "/admin/v1/projects/{id}/acceptance", status, &body);
    for format in ["html", "json"] {
        let request = Request::builder()
            .uri(format!(
                "/admin/v1/projects/{project}/acceptance/report.{format}"
            ))
            .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
            .body(Body::empty())
            .unwrap();
        let (status, body) = raw(&hub, request).await;
        assert_eq!(status, StatusCode::OK, "{format}: {body}");
        c.check(
            "GET",
            &format!("/admin/v1/projects/{{id}}/acceptance/report.{format}"),
            status,
            &body,
        );
    }
    // The ACQP's authorization: refused before acceptance passed, then a URL generated (and
    // one refused), used by an ACQP, listed.
    let urls = format!("/projects/{project}/authorization-urls");
    let (status, body) = hub
        .admin(
            "POST",
            &urls,
            Some(json!({"products": ["UPM"], "acqpName": "Bank", "acqpEmail": "ops@bank.example"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "before acceptance: {body}");
    c.check(
        "POST",
        "/admin/v1/projects/{id}/authorization-urls",
        status,
        &body,
    );
    crate::support::passed_acceptance(&hub, &project, &["UPM"]).await;
    let mut generated = serde_json::Value::Null;
    for request in [
        json!({"products": ["UPM"], "acqpName": "Bank", "acqpEmail": "ops@bank.example", "mail": true}),
        json!({"products": ["NOPE"], "acqpName": "Bank", "acqpEmail": "ops@bank.example"}),
    ] {
        let (status, body) = hub.admin("POST", &urls, Some(request)).await;
        c.check(
            "POST",
            "/admin/v1/projects/{id}/authorization-urls",
            status,
            &body,
        );
        if status == StatusCode::CREATED {
            generated = body;
        }
    }
    let token = generated["url"]
        .as_str()
        .and_then(|url| url.rsplit('/').next())
        .expect("a URL was generated")
        .to_owned();
    let acqp_user = hub
        .hub
        .create_acqp_user("ops@bank.example", "correct horse")
        .unwrap();
    hub.hub.authorize(&token, &acqp_user, true).unwrap();
    let (status, body) = hub
        .admin("GET", &format!("/projects/{project}/authorizations"), None)
        .await;
    assert_eq!(body["authorizations"][0]["status"], "ACTIVE", "{body}");
    c.check(
        "GET",
        "/admin/v1/projects/{id}/authorizations",
        status,
        &body,
    );

    c.finish("/admin/");
}
