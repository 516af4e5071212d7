//! A project's console members through the real router: removing one (never the last), what a
//! removed member's open session still sees, and signing out everywhere.

use axum::http::StatusCode;

use crate::support::TestHub;
use crate::support::console::{Browser, member};

const PASSWORD: &str = "correct horse";

/// The id of the member with this email.
fn member_id(hub: &TestHub, project: &str, email: &str) -> String {
    member(hub, project, email).id
}

fn members(hub: &TestHub, project: &str) -> Vec<String> {
    hub.hub
        .console_members(project)
        .unwrap()
        .into_iter()
        .map(|m| m.email)
        .collect()
}

#[tokio::test]
async fn a_removed_member_loses_the_project_at_once_but_keeps_their_account() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let project = acqp.project.id.clone();
    let settings = format!("/console/projects/{project}/settings");
    let mut alice = Browser::new(&hub);
    alice.bootstrap("alice@example.com").await;
    let added = alice
        .post(
            &format!("/console/projects/{project}/members"),
            &[
                ("memberEmail", "bob@example.com"),
                ("memberPassword", PASSWORD),
            ],
        )
        .await;
    assert!(
        added
            .body
            .contains("bob@example.com can now open this project"),
        "bob added: {} {}",
        added.status,
        added.body
    );
    let mut bob = Browser::new(&hub);
    let signed_in = bob.sign_in("bob@example.com", PASSWORD).await;
    assert_eq!(
        signed_in.location, "/console/projects",
        "{}",
        signed_in.body
    );
    assert_eq!(bob.get(&settings).await.status, StatusCode::OK, "bob is in");
    let bob_id = member_id(&hub, &project, "bob@example.com");

    // Someone who is not a member of the project cannot remove anyone from it.
    let other = hub.acqp().await;
    hub.hub
        .create_console_user(
            "carol@example.com",
            PASSWORD,
            std::slice::from_ref(&other.project.id),
        )
        .unwrap();
    let mut carol = Browser::new(&hub);
    carol.sign_in("carol@example.com", PASSWORD).await;
    let refused = carol
        .post(
            &format!("/console/projects/{project}/members/{bob_id}/remove"),
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
    assert_eq!(
        members(&hub, &project),
        ["alice@example.com", "bob@example.com"],
        "a non-member's removal changed nothing"
    );

    // Alice removes Bob: his open session no longer opens the project, from the next request.
    let removed = alice
        .post(
            &format!("/console/projects/{project}/members/{bob_id}/remove"),
            &[],
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert!(
        removed
            .body
            .contains("bob@example.com can no longer open this project"),
        "{}",
        removed.body
    );
    assert_eq!(members(&hub, &project), ["alice@example.com"]);
    for path in ["settings", "test-data", "merchants", "requests"] {
        let answer = bob
            .get(&format!("/console/projects/{project}/{path}"))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "bob's open session after removal, {path}: {}",
            answer.body
        );
    }
    let list = bob.get("/console/projects").await;
    assert_eq!(list.status, StatusCode::OK, "bob is still signed in");
    assert!(
        !list.body.contains(&acqp.project.client_id),
        "the project is gone from bob's list: {}",
        list.body
    );

    // He can still sign in (his account stays), but does not see the project.
    let mut again = Browser::new(&hub);
    let signed_in = again.sign_in("bob@example.com", PASSWORD).await;
    assert_eq!(
        signed_in.location, "/console/projects",
        "{}",
        signed_in.body
    );
    let list = again.get("/console/projects").await;
    assert!(
        list.status == StatusCode::OK && !list.body.contains(&acqp.project.client_id),
        "signed in again, no project: {} {}",
        list.status,
        list.body
    );
    assert_eq!(
        again.get(&settings).await.status,
        StatusCode::NOT_FOUND,
        "nor can he open it by its URL"
    );
}

#[tokio::test]
async fn the_last_member_cannot_be_removed_but_one_of_two_can_leave() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let project = acqp.project.id.clone();
    let mut alice = Browser::new(&hub);
    alice.bootstrap("alice@example.com").await;
    let alice_id = member_id(&hub, &project, "alice@example.com");
    let remove_alice = format!("/console/projects/{project}/members/{alice_id}/remove");

    let refused = alice.post(&remove_alice, &[]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(
        refused.body.contains("last member and cannot be removed"),
        "the settings page says why: {}",
        refused.body
    );
    assert_eq!(
        members(&hub, &project),
        ["alice@example.com"],
        "still there"
    );
    assert_eq!(
        alice
            .get(&format!("/console/projects/{project}/settings"))
            .await
            .status,
        StatusCode::OK
    );

    // With a second member, Alice may leave; Bob then is the last and stays.
    hub.hub
        .add_console_member(&project, "bob@example.com", Some(PASSWORD))
        .unwrap();
    let left = alice.post(&remove_alice, &[]).await;
    assert_eq!(
        (left.status, left.location.as_str()),
        (StatusCode::SEE_OTHER, "/console/projects"),
        "leaving goes back to the project list: {}",
        left.body
    );
    assert_eq!(members(&hub, &project), ["bob@example.com"]);
    let mut bob = Browser::new(&hub);
    bob.sign_in("bob@example.com", PASSWORD).await;
    let bob_id = member_id(&hub, &project, "bob@example.com");
    let refused = bob
        .post(
            &format!("/console/projects/{project}/members/{bob_id}/remove"),
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(members(&hub, &project), ["bob@example.com"]);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_that_user_only() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let mut laptop = Browser::new(&hub);
    laptop.bootstrap("alice@example.com").await;
    let mut phone = Browser::new(&hub);
    phone.sign_in("alice@example.com", PASSWORD).await;
    hub.hub
        .add_console_member(&acqp.project.id, "bob@example.com", Some(PASSWORD))
        .unwrap();
    let mut bob = Browser::new(&hub);
    bob.sign_in("bob@example.com", PASSWORD).await;

    // A post without the session's CSRF token is refused and ends nothing.
    let mut forged = Browser::new(&hub);
    forged.cookies = laptop.cookies.clone();
    let refused = forged
        .send(
            axum::http::Request::builder()
                .method("POST")
                .uri("/console/sign-out/everywhere")
                .header("content-type", "application/x-www-form-urlencoded"),
            axum::body::Body::from("csrf=planted"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(
        phone.get("/console/projects").await.status,
        StatusCode::OK,
        "a refused sign-out ends nothing"
    );

    let done = laptop.post("/console/sign-out/everywhere", &[]).await;
    assert_eq!(done.location, "/console/sign-in", "{}", done.body);
    assert!(
        !laptop.cookies.contains_key("linker_console"),
        "this browser's session cookie is cleared"
    );
    for (who, browser) in [
        ("the phone", &mut phone),
        ("the laptop's old cookie", &mut forged),
    ] {
        let answer = browser.get("/console/projects").await;
        assert_eq!(
            answer.location, "/console/sign-in",
            "{who} is signed out on its next request: {} {}",
            answer.status, answer.body
        );
    }
    assert_eq!(
        bob.get("/console/projects").await.status,
        StatusCode::OK,
        "another user's session is untouched"
    );
    let signed_in = phone.sign_in("alice@example.com", PASSWORD).await;
    assert_eq!(
        signed_in.location, "/console/projects",
        "a new sign-in works: {}",
        signed_in.body
    );
}
