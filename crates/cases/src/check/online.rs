//! Checks of the online products: a cashier checkout consults before it pays; an Auto Debit pays
//! with an access token from `applyToken`, stops using a token the customer revoked, and cancels
//! the token at Alipay+ when its site unlinks the wallet.

use linker_aplus::message::Api;

use super::{Ctx, Found, at_plus, clock, failed, json, passed, pending, str_at};
use crate::record::{CallbackKind, WalletActionKind};

/// The cashier `pay` comes after a `consultPayment` that answered S (CSH-03).
pub(super) fn consults_before_pay(ctx: &Ctx<'_>) -> Found {
    let Some((pay, _)) = super::first_pay(ctx) else {
        return pending("the checkout's pay", vec![]);
    };
    let consults = ctx.record.calls_of(Api::ConsultPayment);
    match consults
        .iter()
        .find(|(e, c)| e.at <= pay.at && c.result_status == "S")
    {
        Some((e, _)) => passed(
            format!(
                "consultPayment (seq {}) answered S before the checkout's pay (seq {})",
                e.seq, pay.seq
            ),
            vec![e.seq, pay.seq],
        ),
        None => failed(
            format!(
                "the checkout paid (seq {}) without a successful consultPayment before it ({} consult(s) in the run): the page cannot have shown the wallets Alipay+ offers",
                pay.seq,
                consults.len()
            ),
            consults
                .iter()
                .map(|(e, _)| e.seq)
                .chain([pay.seq])
                .collect(),
        ),
    }
}

/// The access tokens `applyToken` answered in the run, with the answer's seq.
fn issued_tokens(ctx: &Ctx<'_>) -> Vec<(u32, String)> {
    ctx.record
        .calls_of(Api::ApplyToken)
        .into_iter()
        .filter(|(_, c)| c.result_status == "S")
        .filter_map(|(e, c)| {
            let body = json(&c.response_body)?;
            Some((e.seq, str_at(&body, "/accessToken")?.to_owned()))
        })
        .collect()
}

/// The first Auto Debit `pay` is an `AGREEMENT_PAYMENT` with an access token `applyToken`
/// issued in the run (ADB-01).
pub(super) fn agreement_pay_fields(ctx: &Ctx<'_>) -> Found {
    let Some((e, c)) = super::first_pay(ctx) else {
        return pending("a debit (pay) from the ACQP", vec![]);
    };
    let Some(body) = json(&c.request_body) else {
        return failed(format!("pay (seq {}) body is not JSON", e.seq), vec![e.seq]);
    };
    let mut problems = Vec::new();
    match str_at(&body, "/productCode") {
        Some("AGREEMENT_PAYMENT") => {}
        other => problems.push(format!(
            "productCode is {other:?}, expected \"AGREEMENT_PAYMENT\""
        )),
    }
    let tokens = issued_tokens(ctx);
    let mut evidence = vec![e.seq];
    match str_at(&body, "/paymentMethod/paymentMethodId") {
        None => problems.push("paymentMethod.paymentMethodId missing (the access token)".into()),
        Some(id) => match tokens.iter().find(|(_, token)| token == id) {
            Some((seq, _)) => evidence.push(*seq),
            None if tokens.is_empty() => problems.push(format!(
                "paymentMethod.paymentMethodId {id:?} is not an access token: the ACQP never exchanged the authorization code with applyToken before debiting"
            )),
            None => problems.push(format!(
                "paymentMethod.paymentMethodId {id:?} is not the access token applyToken issued"
            )),
        },
    }
    if problems.is_empty() {
        passed(
            format!(
                "pay (seq {}) debits with the access token from applyToken",
                e.seq
            ),
            evidence,
        )
    } else {
        failed(
            format!(
                "pay (seq {}) is not a valid Auto Debit: {}",
                e.seq,
                problems.join("; ")
            ),
            evidence,
        )
    }
}

/// After the customer revoked the authorization (TOKEN_CANCELED) the ACQP debits with that
/// token at most once, and never again after its F answer; passes `window_secs` after the
/// revocation (ADB-02).
pub(super) fn stops_using_revoked_token(ctx: &Ctx<'_>, window_secs: u64) -> Found {
    let revoked = ctx.record.wallet_actions().find_map(|(e, action)| {
        matches!(action, WalletActionKind::RevokeAuthorization).then_some(e)
    });
    let Some(revoked) = revoked else {
        return pending("the customer's revocation in the wallet", vec![]);
    };
    let cancel_notice = ctx
        .record
        .callbacks_of(CallbackKind::AuthNotify)
        .into_iter()
        .find(|(e, cb)| {
            e.at >= revoked.at
                && json(&cb.request_body).is_some_and(|b| {
                    str_at(&b, "/authorizationNotifyType") == Some("TOKEN_CANCELED")
                })
        });
    let mut evidence = vec![revoked.seq];
    evidence.extend(cancel_notice.map(|(e, _)| e.seq));
    let debits: Vec<_> = ctx
        .record
        .calls_of(Api::Pay)
        .into_iter()
        .filter(|(e, _)| e.at >= revoked.at)
        .collect();
    if let Some((refused, _)) = debits
        .iter()
        .find(|(_, c)| c.result_code == "INVALID_ACCESS_TOKEN")
        && let Some((again, _)) = debits.iter().find(|(e, _)| e.seq > refused.seq)
    {
        evidence.extend([refused.seq, again.seq]);
        return failed(
            format!(
                "debited again (seq {}) after Alipay+ answered F INVALID_ACCESS_TOKEN (seq {}) to a token the customer revoked: stop using it and show the wallet as unlinked",
                again.seq, refused.seq
            ),
            evidence,
        );
    }
    let until = at_plus(revoked.at, window_secs);
    if ctx.now < until {
        return pending(
            format!(
                "{window_secs} s after the revocation without a second debit with the revoked token (until {})",
                clock(until)
            ),
            evidence,
        );
    }
    evidence.extend(debits.iter().map(|(e, _)| e.seq));
    passed(
        match debits.len() {
            0 => "no debit with the revoked token".to_owned(),
            _ => "one debit with the revoked token, answered F, and none after it".to_owned(),
        },
        evidence,
    )
}

/// When the merchant says the site shows the wallet as unlinked, the ACQP cancelled the token
/// at Alipay+ first (`cancelToken` answered S): unlinking only on its own side leaves the
/// customer's authorization working (ADB-03).
pub(super) fn cancels_token_before_unlinked(ctx: &Ctx<'_>, question: &str) -> Found {
    let Some((answer_event, answer)) = ctx.record.manual_answer(question) else {
        return pending(
            format!("the merchant's answer to {question:?} (the site unlinked the wallet)"),
            vec![],
        );
    };
    let cancelled = ctx
        .record
        .calls_of(Api::CancelToken)
        .into_iter()
        .find(|(e, c)| c.result_status == "S" && e.at <= answer_event.at);
    match (answer.answer, cancelled) {
        (_, Some((e, _))) => passed(
            format!("cancelToken (seq {}) answered S before the site unlinked the wallet", e.seq),
            vec![e.seq, answer_event.seq],
        ),
        (false, None) => passed(
            "the site did not unlink the wallet (the manual answer judges that)".to_owned(),
            vec![answer_event.seq],
        ),
        (true, None) => failed(
            "the site shows the wallet unlinked but never called cancelToken: the access token still works at Alipay+".to_owned(),
            vec![answer_event.seq],
        ),
    }
}
