//! The signed sandbox acceptance report: every required case of a project's products with its
//! verdict and evidence, the project's non-secret settings and the hub key's fingerprint, signed
//! by the project's hub key (RSA-SHA256) so that a reader can tell it was not edited.
//!
//! What is signed: the payload ([`AcceptancePayload`]) as compact JSON, exactly as
//! `serde_json::to_string` writes it. Both files carry the same envelope,
//! `{"format":…,"payload":…,"signature":…,"publicKey":…}` (every `<` written `\u003c`, so the
//! HTML can embed it in a `<script type="application/json" id="linker-acceptance">`); the HTML
//! page's visible part is rendered from the payload alone, deterministically.
//!
//! [`verify`] checks a file (HTML or JSON) in two steps: (1) the signature verifies, with the
//! embedded public key, over the payload as read back from the envelope; (2) the whole file is
//! byte for byte what [`to_html`] / [`to_json`] render from that payload, signature and key.
//! So any edit fails: in the envelope it changes what is signed, anywhere else it breaks the
//! rendering. Anyone can sign a report with a key of their own, so the reader compares the
//! printed fingerprint with the one the hub's console shows (or pins it).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use linker_aplus::{PrivateKey, PublicKey};
use serde::{Deserialize, Serialize};

use super::Report;

/// The envelope's `format`.
pub const FORMAT: &str = "linker-acceptance-report/1";

const SCRIPT_OPEN: &str = "<script type=\"application/json\" id=\"linker-acceptance\">";
const SCRIPT_CLOSE: &str = "</script>";

/// The project's settings as the report shows them (nothing secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportProject {
    /// The hub's id for the project.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The ACQP's Client-Id.
    pub client_id: String,
    /// The test ACQ id.
    pub acquirer_id: String,
    /// Where the ACQP sends Alipay+ calls.
    pub gateway_url: String,
    /// notifyPayment URL.
    pub notify_url: Option<String>,
    /// userInitiatedPay URL.
    pub user_initiated_pay_url: Option<String>,
    /// authNotify URL.
    pub auth_notify_url: Option<String>,
    /// Entry-code domains.
    pub entry_code_domains: Vec<String>,
    /// Private order-code domains.
    pub private_code_domains: Vec<String>,
    /// The products the application selected.
    pub products: Vec<String>,
    /// Whether the project is in TSP mode, when the hub knows the setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tsp_mode: Option<bool>,
}

/// One required case in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequiredCase {
    /// E.g. `UPM-01`.
    pub case_id: String,
    /// Its product code.
    pub product: String,
    /// Its title.
    pub title: String,
    /// Its latest acceptance run, if any.
    pub run_id: Option<String>,
    /// That run's status (`passed`, `failed`, `broken`, `skipped`, `open`), or `not run`.
    pub status: String,
    /// The verdict's sentence.
    pub summary: Option<String>,
}

/// What the hub signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptancePayload {
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// The hub that made it.
    pub hub_url: String,
    /// `NOT_STARTED`, `IN_PROGRESS` or `PASSED`.
    pub status: String,
    /// The status in a sentence.
    pub status_message: String,
    /// The project's settings.
    pub project: ReportProject,
    /// The SHA-256 of the project's hub public key (SPKI DER), hex.
    pub hub_key_fingerprint: String,
    /// Every required case, in catalogue order.
    pub cases: Vec<RequiredCase>,
    /// The evidence: each decided latest acceptance run, redacted.
    pub evidence: Report,
}

/// A signed report, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedAcceptanceReport {
    /// What was signed.
    pub payload: AcceptancePayload,
    /// The RSA-SHA256 signature of the payload's compact JSON, base64.
    pub signature: String,
    /// The signing key, base64 SPKI DER.
    pub public_key: String,
}

/// Why a report did not verify (or could not be made).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcceptanceReportError {
    /// Not a Linker acceptance report at all.
    #[error("not a Linker acceptance report: {0}")]
    NotAReport(String),
    /// The embedded key is not a public key.
    #[error("the embedded public key is not usable: {0}")]
    BadKey(String),
    /// The signature does not verify.
    #[error("the signature does not verify with the embedded key: the signed content was edited")]
    BadSignature,
    /// The key that signed is not the one the payload names.
    #[error("the embedded key (fingerprint {key}) is not the one the report names ({named})")]
    KeyMismatch {
        /// The embedded key's fingerprint.
        key: String,
        /// The fingerprint the payload names.
        named: String,
    },
    /// The file differs from what its signed content renders to.
    #[error("the file was edited: byte {offset} differs from what the signed content renders to")]
    Edited {
        /// Where the first difference is.
        offset: usize,
    },
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// What a verified report says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The signing key's fingerprint (SHA-256 of its SPKI DER, hex).
    pub fingerprint: String,
    /// The signed payload.
    pub payload: AcceptancePayload,
}

/// Signs a payload with the project's hub key (the evidence is redacted first).
pub fn sign(
    mut payload: AcceptancePayload,
    key: &PrivateKey,
    public_key: &PublicKey,
) -> Result<SignedAcceptanceReport, AcceptanceReportError> {
    payload.evidence = payload.evidence.redacted();
    payload.hub_key_fingerprint = public_key.fingerprint();
    let text = canonical(&payload)?;
    let signature = key
        .sign(text.as_bytes())
        .map_err(|e| AcceptanceReportError::Signing(e.to_string()))?;
    Ok(SignedAcceptanceReport {
        payload,
        signature: STANDARD.encode(signature),
        public_key: public_key.to_base64(),
    })
}

fn canonical(payload: &AcceptancePayload) -> Result<String, AcceptanceReportError> {
    serde_json::to_string(payload).map_err(|e| AcceptanceReportError::Signing(e.to_string()))
}

/// The envelope: compact JSON, every `<` escaped.
fn envelope(report: &SignedAcceptanceReport) -> String {
    let payload = serde_json::to_string(&report.payload).unwrap_or_default();
    let text = format!(
        "{{\"format\":{},\"payload\":{payload},\"signature\":{},\"publicKey\":{}}}",
        serde_json::Value::from(FORMAT),
        serde_json::Value::from(report.signature.as_str()),
        serde_json::Value::from(report.public_key.as_str()),
    );
    text.replace('<', "\\u003c")
}

/// The report as JSON: the envelope and a line break.
pub fn to_json(report: &SignedAcceptanceReport) -> String {
    format!("{}\n", envelope(report))
}

/// The report as one self-contained HTML page: the acceptance summary and the evidence (as
/// [`super::to_html`] renders runs), with the signed envelope embedded.
pub fn to_html(report: &SignedAcceptanceReport) -> String {
    let payload = &report.payload;
    let page = super::to_html(&payload.evidence);
    let banner = match payload.status.as_str() {
        "PASSED" => "passed",
        "IN_PROGRESS" => "broken",
        _ => "skipped",
    };
    let mut summary = String::from(
        "<style>table.required{border-collapse:collapse;width:100%;background:#fff;margin:10px 0;\
         font-size:.92rem}table.required th,table.required td{border-top:1px solid var(--line);\
         padding:6px 8px;text-align:left;vertical-align:top}p.signed{color:var(--muted);\
         font-size:.88rem}</style>\n<header class=\"top acceptance\" id=\"acceptance\">\n",
    );
    summary.push_str(&format!(
        "<div class=\"banner {banner}\"><span class=\"big\">{}</span><span class=\"verdict-line\">{}</span></div>\n",
        escape(&payload.status.replace('_', " ")),
        escape(&payload.status_message)
    ));
    summary.push_str("<h1>Sandbox acceptance report</h1>\n<dl class=\"meta\">");
    let project = &payload.project;
    let mut meta = |label: &str, value: &str| {
        summary.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>",
            escape(label),
            escape(value)
        ));
    };
    meta("Project", &format!("{} ({})", project.name, project.id));
    meta("Client-Id", &project.client_id);
    meta("Test ACQ id", &project.acquirer_id);
    meta("Gateway URL", &project.gateway_url);
    meta("Products", &project.products.join(", "));
    if let Some(tsp) = project.tsp_mode {
        meta("TSP mode", if tsp { "on" } else { "off" });
    }
    for (label, url) in [
        ("notifyPayment URL", &project.notify_url),
        ("userInitiatedPay URL", &project.user_initiated_pay_url),
        ("authNotify URL", &project.auth_notify_url),
    ] {
        meta(label, url.as_deref().unwrap_or("(none)"));
    }
    meta("Entry-code domains", &project.entry_code_domains.join(", "));
    meta(
        "Private order-code domains",
        &project.private_code_domains.join(", "),
    );
    meta(
        "Hub key fingerprint (SHA-256)",
        &payload.hub_key_fingerprint,
    );
    meta("Hub", &payload.hub_url);
    meta("Generated", &payload.generated_at.to_rfc3339());
    summary.push_str("</dl>\n<table class=\"required\"><thead><tr><th>Case</th><th>Product</th><th>Title</th><th>Verdict</th><th>Run</th></tr></thead><tbody>\n");
    for case in &payload.cases {
        summary.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><span class=\"badge {}\">{}</span> {}</td><td>{}</td></tr>\n",
            escape(&case.case_id),
            escape(&case.product),
            escape(&case.title),
            escape(&case.status.replace(' ', "-")),
            escape(&case.status),
            escape(case.summary.as_deref().unwrap_or("")),
            escape(case.run_id.as_deref().unwrap_or("")),
        ));
    }
    summary.push_str("</tbody></table>\n<p class=\"signed\">Signed by the project's hub key. Check it with <code>linker verify-report FILE</code> and compare the fingerprint above with the one the hub's console shows.</p>\n</header>\n");
    let script = format!("{SCRIPT_OPEN}{}{SCRIPT_CLOSE}\n", envelope(report));
    let with_summary = page.replacen("<body>\n", &format!("<body>\n{summary}"), 1);
    match with_summary.rfind("</body>") {
        Some(at) => format!("{}{script}{}", &with_summary[..at], &with_summary[at..]),
        None => format!("{with_summary}{script}"),
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Envelope {
    format: String,
    payload: AcceptancePayload,
    signature: String,
    public_key: String,
}

/// Verifies a report file, HTML or JSON (see the module's header for what is checked).
pub fn verify(file: &[u8]) -> Result<Verified, AcceptanceReportError> {
    let text = std::str::from_utf8(file)
        .map_err(|_| AcceptanceReportError::NotAReport("not UTF-8 text".to_owned()))?;
    let html = !text.trim_start().starts_with('{');
    let embedded = if html {
        let start = text.find(SCRIPT_OPEN).ok_or_else(|| {
            AcceptanceReportError::NotAReport("no embedded linker-acceptance data".to_owned())
        })? + SCRIPT_OPEN.len();
        let end = text[start..].find(SCRIPT_CLOSE).ok_or_else(|| {
            AcceptanceReportError::NotAReport("the embedded data does not end".to_owned())
        })? + start;
        &text[start..end]
    } else {
        text
    };
    let envelope: Envelope = serde_json::from_str(embedded)
        .map_err(|e| AcceptanceReportError::NotAReport(format!("embedded data: {e}")))?;
    if envelope.format != FORMAT {
        return Err(AcceptanceReportError::NotAReport(format!(
            "format {:?}, expected {FORMAT:?}",
            envelope.format
        )));
    }
    let key = PublicKey::from_base64_or_pem(&envelope.public_key)
        .map_err(|e| AcceptanceReportError::BadKey(e.to_string()))?;
    let signature = STANDARD
        .decode(&envelope.signature)
        .map_err(|_| AcceptanceReportError::BadSignature)?;
    let signed = canonical(&envelope.payload)?;
    if !key.verify(signed.as_bytes(), &signature) {
        return Err(AcceptanceReportError::BadSignature);
    }
    let fingerprint = key.fingerprint();
    if fingerprint != envelope.payload.hub_key_fingerprint {
        return Err(AcceptanceReportError::KeyMismatch {
            key: fingerprint,
            named: envelope.payload.hub_key_fingerprint,
        });
    }
    let report = SignedAcceptanceReport {
        payload: envelope.payload,
        signature: envelope.signature,
        public_key: envelope.public_key,
    };
    let rendered = if html {
        to_html(&report)
    } else {
        to_json(&report)
    };
    if rendered.as_bytes() != file {
        let offset = rendered
            .bytes()
            .zip(file.iter())
            .position(|(a, b)| a != *b)
            .unwrap_or(rendered.len().min(file.len()));
        return Err(AcceptanceReportError::Edited { offset });
    }
    Ok(Verified {
        fingerprint,
        payload: report.payload,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::Catalogue;
    use crate::testing::sample_report;

    fn signed() -> SignedAcceptanceReport {
        let keys = linker_aplus::KeyPair::generate().unwrap();
        let evidence = sample_report(Catalogue::builtin().unwrap());
        let payload = AcceptancePayload {
            generated_at: evidence.generated_at,
            hub_url: "http://127.0.0.1:8480".to_owned(),
            status: "PASSED".to_owned(),
            status_message: "Every required case passed <b>".to_owned(),
            project: ReportProject {
                id: "prj_1".to_owned(),
                name: "Acme & Co".to_owned(),
                client_id: "ACME".to_owned(),
                acquirer_id: "1022".to_owned(),
                gateway_url: "http://127.0.0.1:8480".to_owned(),
                notify_url: None,
                user_initiated_pay_url: None,
                auth_notify_url: None,
                entry_code_domains: vec![],
                private_code_domains: vec![],
                products: vec!["UPM".to_owned()],
                tsp_mode: None,
            },
            hub_key_fingerprint: String::new(),
            cases: vec![RequiredCase {
                case_id: "UPM-01".to_owned(),
                product: "UPM".to_owned(),
                title: "Payment succeeds".to_owned(),
                run_id: Some("run_1".to_owned()),
                status: "passed".to_owned(),
                summary: Some("</script><script>alert(1)</script>".to_owned()),
            }],
            evidence,
        };
        sign(payload, &keys.private, &keys.public).unwrap()
    }

    #[test]
    fn both_forms_verify_and_any_one_byte_edit_fails() {
        let report = signed();
        for (form, text) in [("html", to_html(&report)), ("json", to_json(&report))] {
            let verified = verify(text.as_bytes()).unwrap_or_else(|e| panic!("{form}: {e}"));
            assert_eq!(verified.fingerprint.len(), 64, "{form}");
            assert_eq!(verified.payload, report.payload, "{form}");
            // Every 97th byte, flipped: each edit fails, whatever it touches.
            let bytes = text.as_bytes();
            for at in (0..bytes.len()).step_by(97) {
                let mut edited = bytes.to_vec();
                edited[at] ^= 0x01;
                assert!(
                    verify(&edited).is_err(),
                    "{form}: a flipped byte at {at} of {} went unnoticed",
                    bytes.len()
                );
            }
        }
    }
}
