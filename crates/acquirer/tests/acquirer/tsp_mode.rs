//! The reference acquirer against a hub project in TSP mode: it learns the project's Agent-Token
//! when it registers and sends it on every Alipay+ call, so its payments and refunds go through;
//! without the token the same POS is refused.

use std::time::Duration;

use linker_pos_driver::{DisplayState, RefundRequest};
use serde_json::json;

use crate::support::{World, charge, hkd, request_id, wait_display};

const WAIT: Duration = Duration::from_secs(10);

/// Turns TSP mode on in the world's project; returns its Agent-Token.
async fn tsp_mode_on(world: &World) -> String {
    let (status, project) = world
        .admin(
            "PATCH",
            &format!("/projects/{}", world.project_id),
            Some(json!({"tspMode": true})),
        )
        .await;
    assert_eq!(status, 200, "{project}");
    assert_eq!(project["tspMode"], true, "{project}");
    project["agentToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn in_tsp_mode_the_acquirers_calls_carry_the_agent_token_and_pass() {
    let world = World::new().await;
    let token = tsp_mode_on(&world).await;
    let pos = world.pos(&[]).await;
    let code = world.payment_code().await;
    let paid = pos.driver.charge(&charge(&code, "1000")).await.unwrap();
    let id = paid.pos_payment_id.clone();
    wait_display(&pos, &id, DisplayState::Paid, WAIT).await;
    pos.driver
        .refund(&RefundRequest {
            run_id: "r".into(),
            case_id: "RFD-01".into(),
            pos_payment_id: id.clone(),
            amount: hkd("1000"),
        })
        .await
        .unwrap();
    wait_display(&pos, &id, DisplayState::Refunded, WAIT).await;

    let prid = request_id(&pos, &id);
    let tail = &token[token.len() - 4..];
    for api in ["pay", "refund"] {
        let calls = world.exchanges_for(api, &prid).await;
        assert!(!calls.is_empty(), "{api} was called");
        for call in calls {
            assert_eq!(call["resultStatus"], "S", "{api} passed: {call}");
            let sent = call["requestHeaders"]["agent-token"]
                .as_str()
                .unwrap_or_default();
            assert!(
                sent.starts_with("agt_…") && sent.contains(tail),
                "{api} carried the project's Agent-Token (the log keeps its hint): {call}"
            );
        }
    }
    assert!(
        world
            .hub
            .refused_counts(&world.project_id)
            .unwrap()
            .is_empty(),
        "nothing was refused"
    );
}

#[tokio::test]
async fn without_the_agent_token_the_same_acquirer_is_refused_in_tsp_mode() {
    let world = World::new().await;
    tsp_mode_on(&world).await;
    let pos = world.pos(&[]).await;
    pos.acquirer.set_agent_token(None);
    let code = world.payment_code().await;
    let started = pos.driver.charge(&charge(&code, "900")).await.unwrap();
    let shown = wait_display(&pos, &started.pos_payment_id, DisplayState::Failed, WAIT).await;
    assert_eq!(
        shown.reason.as_deref(),
        Some("ACCESS_DENIED"),
        "the POS shows why: {shown:?}"
    );
    let refused = world.hub.refused_counts(&world.project_id).unwrap();
    assert!(
        refused
            .iter()
            .any(|r| r.last_code == "ACCESS_DENIED" && r.last_reason.contains("Agent-Token")),
        "the hub counted the refusal, naming the header: {refused:?}"
    );
}
