//! The console through the real router, as a browser uses it: cookies, CSRF tokens in forms,
//! redirects, pages that say what is wrong next to the field.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use tower::ServiceExt;

use crate::support::console::Browser;
use crate::support::{ADMIN_TOKEN, TestHub};

fn error_of(body: &str, needle: &str) -> bool {
    body.contains(needle)
}

#[tokio::test]
async fn the_admin_token_creates_the_first_user_who_sees_existing_projects() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let mut browser = Browser::new(&hub);
    assert_eq!(
        browser.get("/console/projects").await.location,
        "/console/sign-in",
        "not signed in yet"
    );
    browser.get("/console/setup").await;
    let wrong = browser
        .post(
            "/console/setup",
            &[
                ("adminToken", "nope"),
                ("email", "tsp@example.com"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert!(
        error_of(&wrong.body, "the admin token is wrong"),
        "a wrong token is named next to its field: {}",
        wrong.body
    );
    assert!(!hub.hub.has_console_users().unwrap(), "nothing created");
    browser.bootstrap("tsp@example.com").await;
    let projects = browser.get("/console/projects").await;
    assert!(
        projects.body.contains(&acqp.project.client_id),
        "the existing project is listed: {}",
        projects.body
    );

    // Signing out ends the session; signing in again works with the password.
    browser.post("/console/sign-out", &[]).await;
    assert_eq!(
        browser.get("/console/projects").await.location,
        "/console/sign-in"
    );
    browser.get("/console/sign-in").await;
    let bad = browser
        .post(
            "/console/sign-in",
            &[("email", "tsp@example.com"), ("password", "wrong one")],
        )
        .await;
    assert!(bad.body.contains("wrong email or password"), "{}", bad.body);
    let good = browser
        .post(
            "/console/sign-in",
            &[("email", "tsp@example.com"), ("password", "correct horse")],
        )
        .await;
    assert_eq!(good.location, "/console/projects", "{}", good.body);
}

#[tokio::test]
async fn a_form_without_the_sessions_csrf_token_is_refused_and_changes_nothing() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    let project = &acqp.project.id;
    browser
        .cookies
        .insert("linker_csrf".to_owned(), "forged".to_owned());
    let mut other = Browser::new(&hub);
    other.cookies = browser.cookies.clone();
    other
        .cookies
        .insert("linker_csrf".to_owned(), "another".to_owned());
    let answer = other
        .send(
            Request::builder()
                .method("POST")
                .uri(format!("/console/projects/{project}/merchants"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from("csrf=forged&name=Shop&mid=M1&email=a%40example.com&products=UPM"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(
        hub.hub.merchants(project).unwrap().is_empty(),
        "nothing invited"
    );
}

#[tokio::test]
async fn a_user_of_one_project_gets_404_for_another_projects_pages_and_exports() {
    let hub = TestHub::new();
    let mine = hub.acqp().await;
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    // A project created after the user, by the admin API: the user is not a member.
    let theirs = hub.acqp().await;
    for path in [
        "test-data",
        "settings",
        "merchants",
        "requests",
        "exports/test-data.junit.xml",
        "live",
    ] {
        let answer = browser
            .get(&format!("/console/projects/{}/{path}", theirs.project.id))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            answer.body
        );
        if path == "live" {
            continue; // for a member it is an endless event stream
        }
        let answer = browser
            .get(&format!("/console/projects/{}/{path}", mine.project.id))
            .await;
        assert!(
            answer.status.is_success(),
            "{path} of my project: {} {}",
            answer.status,
            answer.body
        );
    }
}

#[tokio::test]
async fn settings_refuse_a_bad_key_and_a_non_http_url_next_to_the_field_and_keep_the_old_values() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    let path = format!("/console/projects/{}/settings", acqp.project.id);
    let page = browser.get(&path).await;
    assert!(
        page.body.contains(&acqp.project.hub_public_key),
        "the hub's key is shown"
    );
    let answer = browser
        .upload(
            &path,
            &[
                ("name", "Renamed"),
                ("acqpPublicKey", "not a key"),
                ("notifyRetrySchedule", "0, 4"),
            ],
            None,
        )
        .await;
    assert!(
        answer.body.contains("aria-invalid=\"true\""),
        "the field is marked: {}",
        answer.body
    );
    assert!(
        answer.body.contains("acqpPublicKey") && answer.status == StatusCode::OK,
        "{}",
        answer.body
    );
    let answer = browser
        .upload(
            &path,
            &[
                ("name", "Renamed"),
                ("acqpPublicKey", &acqp.project.acqp_public_key),
                ("notifyUrl", "ftp://acqp.example/notify"),
            ],
            None,
        )
        .await;
    assert!(
        answer.body.contains("is not an http(s) URL"),
        "{}",
        answer.body
    );
    assert_eq!(
        hub.hub.project(&acqp.project.id).unwrap().name,
        acqp.project.name,
        "nothing saved"
    );
}

#[tokio::test]
async fn an_import_previews_bad_rows_creates_nothing_until_all_are_good_and_then_creates_all() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let project = acqp.project.id.clone();
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    let import = format!("/console/projects/{project}/merchants/import");
    let answer = browser
        .upload(
            &import,
            &[],
            Some(("file", "logo.png", b"\x89PNG\r\n\x1a\n\0\0")),
        )
        .await;
    assert!(
        answer
            .body
            .contains("neither a CSV file nor an Excel workbook"),
        "{}",
        answer.body
    );
    let answer = browser
        .upload(
            &import,
            &[],
            Some(("file", "m.csv", b"name,mid,products\nA,M1,UPM\n")),
        )
        .await;
    assert!(answer.body.contains("email is missing"), "{}", answer.body);
    let duplicate = b"name,mid,email,products\nA,M1,a@example.com,UPM\nB,M1,b@example.com,UPM\n";
    let answer = browser
        .upload(&import, &[], Some(("file", "m.csv", duplicate)))
        .await;
    assert!(
        answer.body.contains("M1 appears twice in the file"),
        "{}",
        answer.body
    );
    assert!(
        !answer.body.contains("Invite these"),
        "no confirm button while a row is bad"
    );
    let confirm = browser
        .post(
            &format!("{import}/confirm"),
            &[("rows", std::str::from_utf8(duplicate).unwrap())],
        )
        .await;
    assert_eq!(
        confirm.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        confirm.body
    );
    assert!(
        hub.hub.merchants(&project).unwrap().is_empty(),
        "nothing half-created"
    );

    let xlsx = linker_hub::import::template_xlsx().unwrap();
    let answer = browser
        .upload(&import, &[], Some(("file", "merchants.xlsx", &xlsx)))
        .await;
    assert!(
        answer.body.contains("Invite these 2 merchants"),
        "{}",
        answer.body
    );
    let rows = answer
        .body
        .split("name=\"rows\" hidden>")
        .nth(1)
        .unwrap()
        .split("</textarea>")
        .next()
        .unwrap();
    let rows = rows
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#x2c;", ",")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let done = browser
        .post(&format!("{import}/confirm"), &[("rows", &rows)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let merchants = hub.hub.merchants(&project).unwrap();
    assert_eq!(merchants.len(), 2, "{merchants:?}");
    let page = browser
        .get(&format!("/console/projects/{project}/merchants"))
        .await;
    assert!(
        page.body.contains("Kowloon Books") && page.body.contains("Your Linker test account"),
        "listed, with the outbox: {}",
        page.body
    );
    let qr = browser
        .get(&format!(
            "/console/projects/{project}/merchants/{}/invitation.png",
            merchants[0].id
        ))
        .await;
    assert_eq!(qr.status, StatusCode::OK, "the invitation QR");
}

#[tokio::test]
async fn an_invitation_that_cannot_be_mailed_marks_the_merchant_failed_with_the_reason() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    hub.hub.set_mail_relay(Some(
        linker_hub::mail::MailRelay::parse(&format!("smtp://{closed}")).unwrap(),
    ));
    let (status, invited) = hub
        .admin(
            "POST",
            &format!("/projects/{}/merchants", acqp.project.id),
            Some(json!({"name": "Shop", "mid": "M9", "email": "shop@example.com", "products": ["UPM"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invited}");
    assert_eq!(invited["merchant"]["status"], "failed", "{invited}");
    let remark = invited["merchant"]["remark"].as_str().unwrap_or_default();
    assert!(
        remark.contains("cannot connect to the SMTP server"),
        "{remark}"
    );
}

#[tokio::test]
async fn assignments_decide_the_cases_a_merchant_sees() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let project = acqp.project.id.clone();
    let (_, invited) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/merchants"),
            Some(json!({"name": "Shop", "mid": "M9", "email": "shop@example.com", "products": ["UPM"]})),
        )
        .await;
    let merchant = hub
        .hub
        .merchant(invited["merchant"]["id"].as_str().unwrap())
        .unwrap();
    let defaults = hub.hub.assigned_cases(&merchant).unwrap().len();
    assert!(defaults > 1, "UPM has several cases by default");
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    let page = browser
        .post(
            &format!("/console/projects/{project}/assignments"),
            &[
                ("merchants", &merchant.id),
                ("cases", "UPM-01"),
                ("action", "assign"),
            ],
        )
        .await;
    assert!(
        page.body.contains("Assignments of 1 merchants saved"),
        "{}",
        page.body
    );
    let ids: Vec<String> = hub
        .hub
        .assigned_cases(&merchant)
        .unwrap()
        .iter()
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(ids, ["UPM-01"]);
    let refused = hub.hub.start_run(&merchant, "UPM-02").unwrap_err();
    assert!(
        refused.to_string().contains("not among the cases assigned"),
        "{refused}"
    );
}

/// The text a person sees in the table `id` of a page: its markup without tags (attribute
/// values, such as a form's `value="ORDER_CODE"`, are for machines).
fn table_text(body: &str, id: &str) -> String {
    let start = body
        .find(&format!("<table id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id} in the page: {body}"));
    let end = body[start..]
        .find("</table>")
        .map_or(body.len(), |e| start + e);
    let mut text = String::new();
    let mut in_tag = false;
    for c in body[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

#[tokio::test]
async fn the_merchant_assignment_and_test_data_pages_name_products_instead_of_their_enums() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let project = acqp.project.id.clone();
    let (status, invited) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/merchants"),
            Some(json!({"name": "Shop", "mid": "M9", "email": "shop@example.com", "products": ["UPM", "MPM"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invited}");
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    let enums = [
        "ORDER_CODE",
        "PRIVATE_ORDER_CODE",
        "ENTRY_CODE",
        "AUTO_DEBIT",
        "ANY",
    ];
    let names = [
        "User-presented Mode",
        "Order Code",
        "Private Order Code",
        "Entry Code",
    ];
    let pages = [
        ("merchants", "merchants"),
        ("assignments", "assign-merchants"),
        ("assignments", "assign-cases"),
        ("test-data", "products"),
    ];
    for (page, table) in pages {
        let answer = browser
            .get(&format!("/console/projects/{project}/{page}"))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{page}: {}", answer.body);
        let text = table_text(&answer.body, table);
        for name in names {
            assert!(
                text.contains(name),
                "the {page} page's table {table} names the product {name:?}: {text}"
            );
        }
        for code in enums {
            assert!(
                !text.split_whitespace().any(|w| w.trim_matches(',') == code),
                "the {page} page's table {table} shows the enum {code} instead of a name: {text}"
            );
        }
    }
    let form = browser
        .get(&format!("/console/projects/{project}/merchants"))
        .await;
    assert!(
        form.body
            .contains("value=\"ORDER_CODE\" > Order Code</label>"),
        "the invitation form sends the code and shows the name: {}",
        form.body
    );
    let test_data = browser
        .get(&format!("/console/projects/{project}/test-data"))
        .await;
    assert!(
        table_text(&test_data.body, "products").contains("Any product"),
        "the cases for any product have a name too: {}",
        test_data.body
    );
}

#[tokio::test]
async fn exports_and_the_run_report_carry_the_verdicts_and_the_request_log_filters_by_api() {
    use crate::support::Wallet;
    use crate::support::{PAY, upm_pay};

    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    // One passed run and one failed run of UPM-01.
    let passed = wallet.start(&hub, "UPM-01").await;
    let code = wallet.code(&hub, &passed).await;
    acqp.call(&hub, PAY, &upm_pay("exp-a", &code, "1000")).await;
    wallet
        .answer(&hub, &passed, "w-1", "pos-shows-success", true)
        .await;
    let failed = wallet.start(&hub, "UPM-01").await;
    let code = wallet.code(&hub, &failed).await;
    acqp.call(&hub, PAY, &upm_pay("exp-b", &code, "1000")).await;
    wallet
        .answer(&hub, &failed, "w-2", "pos-shows-success", false)
        .await;

    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    let project = &acqp.project.id;

    let csv = browser
        .get(&format!(
            "/console/projects/{project}/exports/test-data.csv"
        ))
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(
        csv.body.lines().next().unwrap_or_default().contains(','),
        "a header row: {}",
        csv.body
    );
    assert!(
        csv.body.contains("UPM-01") && csv.body.contains("failed"),
        "the latest verdict of UPM-01 is the failed one: {}",
        csv.body
    );

    let json = browser
        .get(&format!(
            "/console/projects/{project}/exports/test-data.json"
        ))
        .await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.body);
    let report: serde_json::Value = serde_json::from_str(&json.body).expect("JSON");
    let runs = report["runs"].as_array().expect("runs");
    assert!(
        runs.iter().any(|r| r["runId"] == failed.as_str()),
        "the failed run is in the JSON export: {report}"
    );

    let junit = browser
        .get(&format!(
            "/console/projects/{project}/exports/test-data.junit.xml"
        ))
        .await;
    assert_eq!(junit.status, StatusCode::OK);
    assert!(
        junit.body.contains("<testsuites") && junit.body.contains("<failure"),
        "{}",
        junit.body
    );

    let html = browser
        .get(&format!(
            "/console/projects/{project}/runs/{passed}/report.html"
        ))
        .await;
    assert_eq!(html.status, StatusCode::OK, "{}", html.body);
    assert!(
        html.body.starts_with("<!DOCTYPE html>") && html.body.contains(&passed),
        "the run's own report"
    );
    assert!(
        !html.body.contains(ADMIN_TOKEN),
        "no credential in a report"
    );

    let pays = browser
        .get(&format!("/console/projects/{project}/requests?api=pay"))
        .await;
    assert_eq!(pays.status, StatusCode::OK, "{}", pays.body);
    let pay_rows = pays.body.matches("<tr").count();
    assert!(
        pay_rows >= 3,
        "the two pays are listed (and a header): {}",
        pays.body
    );
    let refunds = browser
        .get(&format!("/console/projects/{project}/requests?api=refund"))
        .await;
    assert_eq!(refunds.status, StatusCode::OK);
    assert!(
        refunds.body.matches("<tr").count() < pay_rows,
        "the refund filter lists no pay: {}",
        refunds.body
    );
}

#[tokio::test]
async fn a_result_forced_in_the_console_changes_the_gateways_answer_until_it_is_removed() {
    use crate::support::{PAY, upm_pay};

    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    let project = acqp.project.id.clone();
    let forced_path = format!("/console/projects/{project}/forced");

    // Half a condition is refused next to the field, and nothing is forced.
    let refused = browser
        .post(
            &forced_path,
            &[
                ("api", "pay"),
                ("resultCode", "RISK_REJECT"),
                ("field", "paymentAmount.value"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.body);
    assert!(
        error_of(&refused.body, "give the value the field must have"),
        "{}",
        refused.body
    );
    assert!(hub.hub.forced_results(&project).unwrap().is_empty());

    let made = browser
        .post(
            &forced_path,
            &[
                ("api", "pay"),
                ("resultCode", "RISK_REJECT"),
                ("minutes", "10"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert!(made.body.contains("RISK_REJECT"), "{}", made.body);
    let forced = hub.hub.forced_results(&project).unwrap();
    assert_eq!(forced.len(), 1, "{forced:?}");

    let code = acqp.payment_code(&hub).await;
    let reply = acqp
        .call(&hub, PAY, &upm_pay("forced-a", &code, "1000"))
        .await;
    assert_eq!(
        reply.code(),
        "RISK_REJECT",
        "the forced answer: {}",
        reply.raw
    );

    let removed = browser
        .post(&format!("{forced_path}/{}/delete", forced[0].id), &[])
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let after = hub.hub.forced_results(&project).unwrap();
    assert!(
        after.iter().all(|f| !f.active),
        "removed (kept in the list as ended): {after:?}"
    );
    let code = acqp.payment_code(&hub).await;
    let reply = acqp
        .call(&hub, PAY, &upm_pay("forced-b", &code, "1000"))
        .await;
    assert_eq!(
        reply.code(),
        "SUCCESS",
        "back to the real answer: {}",
        reply.raw
    );
}

#[tokio::test]
async fn the_request_log_filters_by_run_merchant_and_time_and_opens_one_exchange() {
    use crate::support::Wallet;
    use crate::support::{PAY, upm_pay};

    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let first = Wallet::sign_in(&hub, &acqp, "M1").await;
    let second = Wallet::sign_in(&hub, &acqp, "M2").await;
    let run_a = first.start(&hub, "UPM-01").await;
    let code = first.code(&hub, &run_a).await;
    acqp.call(&hub, PAY, &upm_pay("log-a", &code, "1000")).await;
    let run_b = second.start(&hub, "UPM-01").await;
    let code = second.code(&hub, &run_b).await;
    acqp.call(&hub, PAY, &upm_pay("log-b", &code, "2000")).await;
    // A call that concerns no run at all.
    acqp.call(&hub, PAY, &upm_pay("log-c", "281000000000000000", "3000"))
        .await;
    let project = acqp.project.id.clone();
    let merchants = hub.hub.merchants(&project).unwrap();
    let m2 = merchants.iter().find(|m| m.mid == "M2").unwrap().id.clone();

    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    let log = |query: String| format!("/console/projects/{project}/requests?{query}");

    let all = browser.get(&log(String::new())).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    for id in ["log-a", "log-b"] {
        assert!(!all.body.contains(id), "the list shows no bodies");
    }
    assert!(
        all.body.contains(&run_a) && all.body.contains(&run_b),
        "each run's pay links to its run: {}",
        all.body
    );
    let rows = |body: &str| body.matches("<tr>").count().saturating_sub(1);
    assert_eq!(rows(&all.body), 3, "three pays: {}", all.body);

    let by_run = browser.get(&log(format!("run={run_a}"))).await;
    assert_eq!(by_run.status, StatusCode::OK, "{}", by_run.body);
    assert_eq!(rows(&by_run.body), 1, "only run A's pay: {}", by_run.body);
    assert!(by_run.body.contains(&run_a) && !by_run.body.contains(&format!(">{run_b}<")));

    let by_merchant = browser.get(&log(format!("merchant={m2}"))).await;
    assert_eq!(
        rows(&by_merchant.body),
        1,
        "only M2's pay: {}",
        by_merchant.body
    );
    assert!(
        by_merchant.body.contains(&format!(">{run_b}<")),
        "{}",
        by_merchant.body
    );

    let both = browser
        .get(&log(format!("merchant={m2}&run={run_a}")))
        .await;
    assert_eq!(rows(&both.body), 0, "run A is not M2's: nothing matches");

    let unknown = browser.get(&log("run=R-NOPE".to_owned())).await;
    assert!(
        error_of(&unknown.body, "run R-NOPE not found in this project"),
        "an unknown run is named next to the field: {}",
        unknown.body
    );
    let bad_merchant = browser.get(&log("merchant=nobody".to_owned())).await;
    assert!(
        error_of(&bad_merchant.body, "no such merchant"),
        "{}",
        bad_merchant.body
    );

    // The hub's clock is 2026-11-25T02:00Z for every exchange here.
    let later = browser.get(&log("since=2026-11-25T02:01".to_owned())).await;
    assert_eq!(rows(&later.body), 0, "nothing after 02:01: {}", later.body);
    let window = browser
        .get(&log(
            "since=2026-11-25T01:59&until=2026-11-25T02:00".to_owned()
        ))
        .await;
    assert_eq!(
        rows(&window.body),
        3,
        "all three in 01:59-02:00: {}",
        window.body
    );
    let earlier = browser.get(&log("until=2026-11-25T01:59".to_owned())).await;
    assert_eq!(rows(&earlier.body), 0, "nothing before 01:59");
    let bad_time = browser.get(&log("since=yesterday".to_owned())).await;
    assert!(
        error_of(&bad_time.body, "is not a time"),
        "a bad time is refused next to the field: {}",
        bad_time.body
    );

    // One exchange: headers, body, signature verdict and its run.
    let exchanges = hub
        .hub
        .exchanges(
            &project,
            &linker_hub::domain::request_log::ExchangeFilter {
                run_id: Some(run_b.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(exchanges.len(), 1, "{exchanges:?}");
    let one = browser
        .get(&format!(
            "/console/projects/{project}/requests/{}",
            exchanges[0].seq
        ))
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    for needle in ["log-b", "signature", "client-id", "valid", &run_b] {
        assert!(
            one.body.contains(needle),
            "the exchange page shows {needle}: {}",
            one.body
        );
    }

    // The admin API filters the same way.
    let (status, listed) = hub
        .admin(
            "GET",
            &format!("/projects/{project}/exchanges?merchantId={m2}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["runId"], run_b.as_str());
}

#[tokio::test]
async fn the_request_log_counts_refused_calls_marks_a_cut_body_and_its_retention_is_a_setting() {
    use crate::support::{PAY, REQUEST_TIME, upm_pay};

    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    for _ in 0..2 {
        let unsigned = Request::builder()
            .method("POST")
            .uri(PAY)
            .header("content-type", "application/json")
            .header("client-id", &acqp.client_id)
            .header("request-time", REQUEST_TIME)
            .body(Body::from("{}"))
            .unwrap();
        acqp.send(&hub, unsigned, PAY).await;
    }
    let code = acqp.payment_code(&hub).await;
    let mut body = upm_pay("cut-1", &code, "100");
    body["order"]["padding"] = json!("x".repeat(70_000));
    acqp.call(&hub, PAY, &body).await;
    let project = acqp.project.id.clone();
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;

    let page = browser
        .get(&format!("/console/projects/{project}/requests"))
        .await;
    let refused = table_text(&page.body, "refused-counts");
    assert!(
        refused.contains(&acqp.client_id)
            && refused.contains(" 2 ")
            && refused.contains("INVALID_SIGNATURE"),
        "the page counts the two unsigned calls under the Client-Id: {refused}"
    );
    let logged = hub.hub.exchanges(&project, &Default::default()).unwrap();
    assert_eq!(
        logged.len(),
        1,
        "only the signed call is logged: {logged:?}"
    );
    let one = browser
        .get(&format!(
            "/console/projects/{project}/requests/{}",
            logged[0].seq
        ))
        .await;
    let note = format!(
        "truncated: the first 65536 of {} bytes shown, sha256 {}",
        body.to_string().len(),
        logged[0].request_sha256.as_deref().unwrap()
    );
    assert!(one.body.contains(&note), "{note} in: {}", one.body);

    let settings = format!("/console/projects/{project}/settings");
    let page = browser.get(&settings).await;
    assert!(
        page.body.contains("name=\"requestLogDays\" value=\"30\""),
        "the default shows: {}",
        page.body
    );
    for (typed, why) in [("0", "1 to 3650 days"), ("ten", "not a whole number")] {
        let answer = browser
            .upload(
                &settings,
                &[
                    ("name", "Test ACQP"),
                    ("acqpPublicKey", &acqp.project.acqp_public_key),
                    ("notifyRetrySchedule", "0, 4, 30"),
                    ("requestLogDays", typed),
                ],
                None,
            )
            .await;
        assert!(
            answer.status == StatusCode::OK && answer.body.contains(why),
            "{typed:?} is refused next to the field: {}",
            answer.body
        );
    }
    assert_eq!(hub.hub.project(&project).unwrap().request_log_days, 30);
    let saved = browser
        .upload(
            &settings,
            &[
                ("name", "Test ACQP"),
                ("acqpPublicKey", &acqp.project.acqp_public_key),
                ("notifyRetrySchedule", "0, 4, 30"),
                ("requestLogDays", "7"),
            ],
            None,
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(hub.hub.project(&project).unwrap().request_log_days, 7);
}

#[tokio::test]
async fn check_my_setup_and_send_notification_say_valid_for_a_signed_ack_and_why_not_otherwise() {
    use crate::support::{Ack, NotifyEndpoint};

    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let good = NotifyEndpoint::start(&acqp, Ack::Signed).await;
    let unsigned = NotifyEndpoint::start(&acqp, Ack::Unsigned).await;
    let project = acqp.project.id.clone();
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;

    // Check my setup goes to the project's notify URL.
    let (status, body) = hub
        .admin(
            "PATCH",
            &format!("/projects/{project}"),
            Some(json!({"notifyUrl": good.url})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let check = browser
        .post(&format!("/console/projects/{project}/settings/check"), &[])
        .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    assert!(
        check
            .body
            .contains("Your endpoint answered with a valid, signed SUCCESS/S acknowledgement"),
        "a signed ack is called valid: {}",
        check.body
    );
    assert_eq!(
        good.count(),
        1,
        "one test notification reached the endpoint"
    );
    assert!(
        good.received.lock().unwrap()[0].signature_valid,
        "the hub signed it with the project's key"
    );

    let (status, body) = hub
        .admin(
            "PATCH",
            &format!("/projects/{project}"),
            Some(json!({"notifyUrl": unsigned.url})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let check = browser
        .post(&format!("/console/projects/{project}/settings/check"), &[])
        .await;
    assert!(
        check.body.contains("Not a valid acknowledgement")
            && check.body.contains("the ack is not signed correctly"),
        "an unsigned ack is refused and the reason names the signature: {}",
        check.body
    );

    // Send notification (iNotify): to any URL, with the payment's outcome and amount.
    let sent = browser
        .post(
            &format!("/console/projects/{project}/notify"),
            &[
                ("url", good.url.as_str()),
                ("outcome", "failure"),
                ("currency", "HKD"),
                ("value", "1234"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(
        sent.body
            .contains("Valid: a signed SUCCESS/S acknowledgement"),
        "{}",
        sent.body
    );
    let received = good.received.lock().unwrap().last().unwrap().clone();
    assert_eq!(
        received.body["paymentResult"]["resultStatus"], "F",
        "a failed payment was notified: {}",
        received.body
    );
    assert_eq!(received.body["paymentAmount"]["value"], "1234");
    assert_eq!(received.body["paymentAmount"]["currency"], "HKD");

    let refused = browser
        .post(
            &format!("/console/projects/{project}/notify"),
            &[
                ("url", unsigned.url.as_str()),
                ("outcome", "success"),
                ("currency", "HKD"),
                ("value", "1000"),
            ],
        )
        .await;
    assert!(
        refused.body.contains("Not valid:")
            && refused.body.contains("the ack is not signed correctly"),
        "{}",
        refused.body
    );
    let bad_url = browser
        .post(
            &format!("/console/projects/{project}/notify"),
            &[
                ("url", "ftp://acqp.example/notify"),
                ("outcome", "success"),
                ("currency", "HKD"),
                ("value", "1000"),
            ],
        )
        .await;
    assert!(
        bad_url.body.contains("field-error") && bad_url.body.contains("http"),
        "a non-http URL is refused next to the field: {}",
        bad_url.body
    );
    assert_eq!(
        good.count() + unsigned.count(),
        4,
        "the refused URL sent nothing"
    );

    // Every test notification is in the request log, outbound.
    let log = browser
        .get(&format!(
            "/console/projects/{project}/requests?api=notifyPayment"
        ))
        .await;
    assert_eq!(
        log.body.matches("hub → ACQP").count(),
        4,
        "four notifications logged: {}",
        log.body
    );
}

/// The invitation code in an invitation mail.
fn code_in(mail: &str) -> String {
    mail.lines()
        .find_map(|line| line.trim().strip_prefix("invitation code: "))
        .unwrap_or_else(|| panic!("no invitation code in the mail: {mail}"))
        .trim()
        .to_owned()
}

#[tokio::test]
async fn invitations_go_out_by_smtp_resend_replaces_the_code_and_revoke_ends_it() {
    use crate::support::wallet_call;

    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let sink = crate::support::smtp::Server::start(crate::support::smtp::Mode::PlainOnly).await;
    hub.hub.set_mail_relay(Some(
        linker_hub::mail::MailRelay::parse(&format!(
            "smtp://{}?from=tsp@example.com",
            sink.address
        ))
        .unwrap(),
    ));
    let project = acqp.project.id.clone();
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    let merchants_page = format!("/console/projects/{project}/merchants");

    let invited = browser
        .post(
            &merchants_page,
            &[
                ("name", "Harbour Cafe"),
                ("mid", "M100"),
                ("email", "cafe@shop.example"),
                ("products", "UPM"),
            ],
        )
        .await;
    assert!(
        invited.status == StatusCode::OK || invited.status == StatusCode::SEE_OTHER,
        "{}",
        invited.body
    );
    let mails = sink.seen();
    assert_eq!(mails.len(), 1, "one mail went out by SMTP: {mails:?}");
    assert_eq!(mails[0].recipient, "cafe@shop.example");
    assert!(
        mails[0]
            .message
            .contains("From: \"Linker hub\" <tsp@example.com>")
            && mails[0]
                .message
                .contains("Subject: Your Linker test account"),
        "{}",
        mails[0].message
    );
    let first_code = code_in(&mails[0].message);
    let merchant = hub
        .hub
        .merchants(&project)
        .unwrap()
        .into_iter()
        .find(|m| m.mid == "M100")
        .unwrap();
    let (status, listed) = hub
        .admin("GET", &format!("/projects/{project}/merchants"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mid"] == "M100")
        .unwrap()
        .clone();
    assert_eq!(
        row["status"], "inactive",
        "delivered, not yet signed in: {row}"
    );

    // Resend: a new code goes out and the old one stops working.
    let resent = browser
        .post(&format!("{merchants_page}/{}/resend", merchant.id), &[])
        .await;
    assert_eq!(resent.status, StatusCode::OK, "{}", resent.body);
    assert!(
        resent.body.contains("replaces the old one"),
        "{}",
        resent.body
    );
    let mails = sink.seen();
    assert_eq!(mails.len(), 2, "the resend was mailed too");
    let second_code = code_in(&mails[1].message);
    assert_ne!(first_code, second_code, "a new code");
    let sign_in = |code: String| {
        let hub = &hub;
        async move {
            wallet_call(
                hub,
                "POST",
                "/sign-in/invitation",
                None,
                Some(json!({"invitationCode": code, "password": "long enough"})),
            )
            .await
        }
    };
    let (status, refused) = sign_in(first_code).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old code is dead: {refused}"
    );

    // Revoke: the current code is dead too, and the page says so.
    let revoked = browser
        .post(&format!("{merchants_page}/{}/revoke", merchant.id), &[])
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert!(revoked.body.contains("revoked"), "{}", revoked.body);
    let (status, refused) = sign_in(second_code).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked: {refused}");

    // A recipient the server refuses: the merchant is Failed, and the remark says why.
    browser
        .post(
            &merchants_page,
            &[
                ("name", "Nobody's Shop"),
                ("mid", "M101"),
                ("email", "refuse@shop.example"),
                ("products", "UPM"),
            ],
        )
        .await;
    let (_, listed) = hub
        .admin("GET", &format!("/projects/{project}/merchants"), None)
        .await;
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mid"] == "M101")
        .unwrap()
        .clone();
    assert_eq!(row["status"], "failed", "{row}");
    let remark = row["remark"].as_str().unwrap_or_default();
    assert!(
        remark.contains("RCPT TO") && remark.contains("550"),
        "the remark names the refused step and the server's answer: {remark}"
    );
    let page = browser.get(&merchants_page).await;
    assert!(
        page.body.contains(remark) || page.body.contains("RCPT TO"),
        "the list shows the remark"
    );
}

#[tokio::test]
async fn the_run_page_test_data_and_exports_name_the_wallet_the_hub_played() {
    use crate::support::Wallet;

    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let (status, gcash) = wallet
        .send(
            &hub,
            "POST",
            "/runs",
            Some(json!({"caseId": "UPM-01", "wallet": "GCASH"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{gcash}");
    let gcash = gcash["id"].as_str().unwrap().to_owned();
    wallet
        .answer(&hub, &gcash, "w-1", "pos-shows-success", true)
        .await;
    let plain = wallet.start(&hub, "UPM-02").await;

    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    let project = &acqp.project.id;
    let page = browser
        .get(&format!("/console/projects/{project}/runs/{gcash}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("<dd id=\"run-wallet\">GCASH (GCash, pspId 1022170000000000000)</dd>"),
        "the run page names the wallet, its brand and pspId: {}",
        page.body
    );
    let page = browser
        .get(&format!("/console/projects/{project}/runs/{plain}"))
        .await;
    assert!(
        page.body.contains(
            "<dd id=\"run-wallet\">TEST_WALLET (TEST_WALLET, pspId 1022999000000000001)</dd>"
        ),
        "a run started without a choice played TEST_WALLET: {}",
        page.body
    );
    let test_data = browser
        .get(&format!("/console/projects/{project}/test-data"))
        .await;
    let recent = table_text(&test_data.body, "recent");
    assert!(
        recent.contains("GCASH") && recent.contains("TEST_WALLET"),
        "Test Data's latest runs name each run's wallet: {recent}"
    );
    let csv = browser
        .get(&format!(
            "/console/projects/{project}/exports/test-data.csv"
        ))
        .await;
    assert!(
        csv.body
            .lines()
            .next()
            .unwrap_or_default()
            .ends_with(",wallet")
            && csv
                .body
                .lines()
                .any(|l| l.contains("UPM-01") && l.ends_with(",GCASH")),
        "the CSV export has the wallet: {}",
        csv.body
    );
    let json = browser
        .get(&format!(
            "/console/projects/{project}/exports/test-data.json"
        ))
        .await;
    let report: serde_json::Value = serde_json::from_str(&json.body).expect("JSON");
    let run = report["runs"]
        .as_array()
        .and_then(|runs| runs.iter().find(|r| r["runId"] == gcash.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        run["wallet"], "GCASH",
        "the report's run names it: {report}"
    );
}

/// Posts a form creating a merchant with `csrf` and extra headers; the answer's status.
async fn post_merchant(
    browser: &mut Browser<'_>,
    project: &str,
    csrf: &str,
    headers: &[(&str, &str)],
) -> StatusCode {
    let mut request = Request::builder()
        .method("POST")
        .uri(format!("/console/projects/{project}/merchants"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:8480");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mid = format!("M{}", browser.cookies.len() + csrf.len());
    browser
        .send(
            request,
            Body::from(format!(
                "csrf={csrf}&name=Shop&mid={mid}&email={}%40example.com&products=UPM",
                mid.to_lowercase()
            )),
        )
        .await
        .status
}

#[tokio::test]
async fn a_planted_csrf_cookie_or_a_post_from_another_origin_changes_nothing() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let project = acqp.project.id.clone();
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;

    // Another site on the same host (another port) planted a CSRF cookie it knows and submits
    // the same value: the session's token is not the cookie's, so nothing happens.
    browser
        .cookies
        .insert("linker_csrf".to_owned(), "planted".to_owned());
    assert_eq!(
        post_merchant(&mut browser, &project, "planted", &[]).await,
        StatusCode::FORBIDDEN,
        "a planted double-submit cookie proves nothing after sign-in"
    );
    let token = browser.csrf();
    for (name, value) in [
        ("origin", "http://127.0.0.1:9999"),
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "same-site"),
        ("sec-fetch-site", "cross-site"),
    ] {
        assert_eq!(
            post_merchant(&mut browser, &project, &token, &[(name, value)]).await,
            StatusCode::FORBIDDEN,
            "{name}: {value} is refused even with the session's token"
        );
    }
    for headers in [
        vec![
            ("origin", "http://127.0.0.1:8480"),
            ("sec-fetch-site", "same-origin"),
        ],
        vec![],
    ] {
        let status = post_merchant(&mut browser, &project, &token, &headers).await;
        assert!(
            status.is_redirection() || status.is_success(),
            "the console's own form ({headers:?}) goes through: {status}"
        );
    }
}

#[tokio::test]
async fn over_https_the_consoles_cookies_are_secure_and_host_only() {
    let hub = TestHub::with_public_url("https://linker.example.com");
    let mut browser = Browser::new(&hub);
    let page = browser
        .send(Request::builder().uri("/console/setup"), Body::empty())
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let planted = hub
        .router()
        .oneshot(
            Request::builder()
                .uri("/console/sign-in")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let set: Vec<String> = planted
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        !set.is_empty()
            && set.iter().all(|c| c.starts_with("__Host-")
                && c.contains("; Secure")
                && c.contains("Path=/;")),
        "over HTTPS every console cookie is __Host-, Secure, Path=/: {set:?}"
    );
}

#[tokio::test]
async fn a_console_session_ends_after_a_day_however_busy() {
    use linker_hub::Clock;

    let hub = TestHub::new();
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    for hour in (2..=22).step_by(2) {
        hub.clock.advance(chrono::Duration::hours(2));
        let page = browser.get("/console/projects").await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "still signed in after {hour} h of use"
        );
    }
    hub.clock.advance(chrono::Duration::hours(2));
    let page = browser.get("/console/projects").await;
    assert!(
        page.status.is_redirection() && page.location == "/console/sign-in",
        "24 h after sign-in the session is over, however busy: {} {}",
        page.status,
        page.location
    );
}

#[tokio::test]
async fn the_test_data_export_neutralises_cells_a_spreadsheet_would_run_as_formulas() {
    use crate::support::Wallet;

    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    // Names and MIDs are the merchants' own text, as are the verdicts' summaries.
    let merchants = [
        ("=1+1", "=1+1"),
        ("+x", "+x"),
        ("-x", "-x"),
        ("@x", "M4"),
        ("Cafe", "M5"),
    ];
    for (i, (name, mid)) in merchants.iter().enumerate() {
        let email = format!("m{i}@shop.example");
        let wallet = Wallet::sign_in_named(&hub, &acqp, name, mid, &email, &["UPM"]).await;
        wallet.start(&hub, "UPM-01").await;
    }
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    let project = &acqp.project.id;
    let csv = browser
        .get(&format!(
            "/console/projects/{project}/exports/test-data.csv"
        ))
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    for (name, mid) in &merchants[..4] {
        let neutral = |cell: &str| {
            if cell.starts_with(['=', '+', '-', '@']) {
                format!("'{cell}")
            } else {
                cell.to_owned()
            }
        };
        let line = format!("{},{},UPM-01,", neutral(name), neutral(mid));
        assert!(
            csv.body.lines().any(|l| l.starts_with(&line)),
            "{name} / {mid} are exported as {line:?}: {}",
            csv.body
        );
    }
    assert!(
        csv.body
            .lines()
            .any(|line| line.starts_with("Cafe,M5,UPM-01,")),
        "plain cells are left as they are: {}",
        csv.body
    );
    assert!(
        !csv.body
            .lines()
            .flat_map(|line| line.split(','))
            .any(|cell| cell.starts_with(['=', '+', '-', '@'])),
        "no cell starts a formula: {}",
        csv.body
    );
}

#[tokio::test]
async fn the_import_page_refuses_a_workbook_over_its_budget_with_the_reason() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let project = acqp.project.id.clone();
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    // The template with one cell far to the right (column XFD, Excel's last).
    let mut file = zip::ZipArchive::new(std::io::Cursor::new(
        linker_hub::import::template_xlsx().unwrap(),
    ))
    .unwrap();
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for index in 0..file.len() {
        let mut part = file.by_index(index).unwrap();
        let name = part.name().unwrap().to_string();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut part, &mut text).unwrap();
        let text = text.replace(
            "</sheetData>",
            r#"<row r="9"><c r="XFD9" t="inlineStr"><is><t>x</t></is></c></row></sheetData>"#,
        );
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut writer, text.as_bytes()).unwrap();
    }
    let wide = writer.finish().unwrap().into_inner();
    let answer = browser
        .upload(
            &format!("/console/projects/{project}/merchants/import"),
            &[],
            Some(("file", "merchants.xlsx", &wide)),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(
        answer
            .body
            .contains("the sheet is too wide: cell XFD9 is past column Z"),
        "{}",
        answer.body
    );
    assert!(hub.hub.merchants(&project).unwrap().is_empty());
}
