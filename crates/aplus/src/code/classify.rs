//! Deciding what a scanned code is, in this order:
//!
//! 1. a payment code → "this is a payment code, not something a wallet scans";
//! 2. an order-code URL on an Alipay+ domain → an Alipay+ order code (ask the hub);
//! 3. an order-code URL on a registered ACQP domain → that ACQP's private order code;
//! 4. an HTTPS URL on a registered entry-code domain (HTTP on loopback addresses) → an entry code;
//! 5. an MPM `/MPM/3/` URL or an EMVCo payload → decoded, fields shown;
//! 6. anything else → "not an Alipay+ code", showing what was read.
//!
//! Every [`Classification`] carries lines of (label, value, explanation) for people.

use serde::Serialize;

use super::emvco::{CrcCheck, EmvcoDataObject, EmvcoPayload, currency_alpha};
use super::mpm::{MpmCode, MpmDataObject};
use super::order_code::OrderCode;
use super::payment_code::{PaymentCode, PaymentCodeForm};
use super::url::HttpUrl;

/// The Alipay+ domain that is always recognised.
pub const ALIPAY_GLOBAL_DOMAIN: &str = "global.alipay.com";

/// Which domains mean what. Entries are `host` or `host:port` (lowercase match; an entry without
/// a port matches any port).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DomainRegistry {
    /// Alipay+ order-code domains besides `global.alipay.com` (the hub registers its own host).
    pub alipay_domains: Vec<String>,
    /// Domains ACQPs registered for private order codes.
    pub private_order_code_domains: Vec<String>,
    /// Domains ACQPs registered for entry codes.
    pub entry_code_domains: Vec<String>,
}

impl DomainRegistry {
    /// True when the URL is on an Alipay+ domain.
    pub fn is_alipay(&self, url: &HttpUrl) -> bool {
        url.is_on(ALIPAY_GLOBAL_DOMAIN) || self.alipay_domains.iter().any(|d| url.is_on(d))
    }

    /// True when the URL is on a registered private order-code domain.
    pub fn is_private_order_code(&self, url: &HttpUrl) -> bool {
        self.private_order_code_domains.iter().any(|d| url.is_on(d))
    }

    /// True when the URL is on a registered entry-code domain.
    pub fn is_entry_code(&self, url: &HttpUrl) -> bool {
        self.entry_code_domains.iter().any(|d| url.is_on(d))
    }
}

/// What kind of code was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CodeKind {
    /// A UPM payment code: shown by a wallet, scanned by a POS.
    PaymentCode,
    /// An Alipay+ order code.
    AlipayOrderCode,
    /// An ACQP's private order code.
    PrivateOrderCode,
    /// An ACQP's entry code.
    EntryCode,
    /// An Alipay+ MPM standard code.
    MpmCode,
    /// An EMVCo merchant QR.
    EmvcoCode,
    /// Not an Alipay+ code.
    NotAlipayPlus,
}

/// The decoded code, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "detail")]
pub enum ScannedCode {
    /// A UPM payment code.
    PaymentCode(PaymentCode),
    /// An Alipay+ order code.
    AlipayOrderCode(OrderCode),
    /// An ACQP's private order code.
    PrivateOrderCode(OrderCode),
    /// An entry code: the page to open.
    EntryCode(HttpUrl),
    /// An Alipay+ MPM standard code.
    MpmCode(MpmCode),
    /// An EMVCo merchant QR.
    EmvcoCode(EmvcoPayload),
    /// Anything else.
    NotAlipayPlus,
}

impl ScannedCode {
    /// The kind.
    pub fn kind(&self) -> CodeKind {
        match self {
            ScannedCode::PaymentCode(_) => CodeKind::PaymentCode,
            ScannedCode::AlipayOrderCode(_) => CodeKind::AlipayOrderCode,
            ScannedCode::PrivateOrderCode(_) => CodeKind::PrivateOrderCode,
            ScannedCode::EntryCode(_) => CodeKind::EntryCode,
            ScannedCode::MpmCode(_) => CodeKind::MpmCode,
            ScannedCode::EmvcoCode(_) => CodeKind::EmvcoCode,
            ScannedCode::NotAlipayPlus => CodeKind::NotAlipayPlus,
        }
    }
}

/// One line of explanation: a field, its value, and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplanationLine {
    /// The field, e.g. `Merchant Name`.
    pub label: String,
    /// Its value.
    pub value: String,
    /// What it means.
    pub explanation: String,
}

impl ExplanationLine {
    fn new(label: &str, value: impl Into<String>, explanation: impl Into<String>) -> Self {
        ExplanationLine {
            label: label.to_owned(),
            value: value.into(),
            explanation: explanation.into(),
        }
    }
}

/// What a scanned code is, with an explanation for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Classification {
    /// The text as scanned.
    pub input: String,
    /// One sentence: what this is and what happens next.
    pub summary: String,
    /// Field-by-field explanation.
    pub lines: Vec<ExplanationLine>,
    /// The decoded code (`kind` and `detail` when serialised).
    #[serde(flatten)]
    pub code: ScannedCode,
}

impl Classification {
    /// The kind of code.
    pub fn kind(&self) -> CodeKind {
        self.code.kind()
    }
}

/// Decides what `input` is (surrounding whitespace ignored).
pub fn classify(input: &str, registry: &DomainRegistry) -> Classification {
    let text = input.trim();
    let make = |code: ScannedCode, summary: String, lines: Vec<ExplanationLine>| Classification {
        input: input.to_owned(),
        summary,
        lines,
        code,
    };

    if let Ok(code) = PaymentCode::parse(text) {
        let lines = payment_code_lines(&code);
        return make(
            ScannedCode::PaymentCode(code),
            "This is a payment code: a wallet shows it and the merchant's POS scans it. It is not \
             something a wallet scans."
                .to_owned(),
            lines,
        );
    }

    if let Ok(url) = HttpUrl::parse(text) {
        if let Ok(order) = OrderCode::parse(text) {
            if registry.is_alipay(&url) {
                let lines = order_code_lines(&order, "an Alipay+ domain");
                return make(
                    ScannedCode::AlipayOrderCode(order),
                    "This is an Alipay+ order code: the wallet asks Alipay+ (the hub) for the \
                     order and shows it for payment."
                        .to_owned(),
                    lines,
                );
            }
            if registry.is_private_order_code(&url) {
                let lines = order_code_lines(
                    &order,
                    "a domain an ACQP registered for private order codes",
                );
                return make(
                    ScannedCode::PrivateOrderCode(order),
                    "This is an ACQP's private order code: Alipay+ asks the acquirer what it is \
                     with userInitiatedPay, then the wallet shows the order for payment."
                        .to_owned(),
                    lines,
                );
            }
        }
        if registry.is_entry_code(&url) && (url.is_https() || url.is_loopback()) {
            let lines = vec![
                ExplanationLine::new("URL", text, "the merchant's amount-entry page"),
                ExplanationLine::new(
                    "Domain",
                    url.authority(),
                    "registered by an ACQP for entry codes",
                ),
                ExplanationLine::new(
                    "Scheme",
                    url.scheme.clone(),
                    if url.is_https() {
                        "HTTPS, as the real system demands"
                    } else {
                        "HTTP, accepted because the host is a loopback address"
                    },
                ),
            ];
            return make(
                ScannedCode::EntryCode(url),
                "This is an entry code: the wallet opens the merchant's page in its web view, the \
                 customer enters the amount there."
                    .to_owned(),
                lines,
            );
        }
        if MpmCode::looks_like(text) {
            return match MpmCode::parse(text) {
                Ok(mpm) => {
                    let lines = mpm_lines(&mpm);
                    make(
                        ScannedCode::MpmCode(mpm),
                        "This is an Alipay+ MPM standard code; its fields are shown below."
                            .to_owned(),
                        lines,
                    )
                }
                Err(e) => not_alipay(
                    input,
                    text,
                    vec![ExplanationLine::new(
                        "MPM payload",
                        text,
                        format!("looks like an MPM code but cannot be decoded: {e}"),
                    )],
                ),
            };
        }
        return not_alipay(input, text, url_hints(text, &url, registry));
    }

    if text.starts_with("00") {
        match EmvcoPayload::parse_lenient(text) {
            Ok(payload) => {
                let lines = emvco_lines(&payload);
                let summary = match &payload.crc {
                    CrcCheck::Valid => {
                        "This is an EMVCo merchant QR code; its fields are shown below."
                    }
                    _ => {
                        "This looks like an EMVCo merchant QR code, but its CRC is wrong or \
                          missing, so a wallet would reject it; its fields are shown below."
                    }
                };
                return make(ScannedCode::EmvcoCode(payload), summary.to_owned(), lines);
            }
            Err(e) if text.starts_with("000201") => {
                return not_alipay(
                    input,
                    text,
                    vec![ExplanationLine::new(
                        "EMVCo payload",
                        text,
                        format!("starts like an EMVCo QR but cannot be read: {e}"),
                    )],
                );
            }
            Err(_) => {}
        }
    }

    let mut hints = Vec::new();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        hints.push(ExplanationLine::new(
            "Digits",
            text.len().to_string(),
            "payment codes have 17 to 32 digits",
        ));
    }
    not_alipay(input, text, hints)
}

fn not_alipay(input: &str, text: &str, mut hints: Vec<ExplanationLine>) -> Classification {
    let mut lines = vec![ExplanationLine::new(
        "Read",
        text,
        format!("{} characters", text.chars().count()),
    )];
    lines.append(&mut hints);
    let summary = if text.is_empty() {
        "Nothing was read from the code.".to_owned()
    } else {
        "This is not an Alipay+ code.".to_owned()
    };
    Classification {
        input: input.to_owned(),
        summary,
        lines,
        code: ScannedCode::NotAlipayPlus,
    }
}

fn url_hints(text: &str, url: &HttpUrl, registry: &DomainRegistry) -> Vec<ExplanationLine> {
    let mut hints = Vec::new();
    if OrderCode::parse(text).is_ok() {
        hints.push(ExplanationLine::new(
            "Domain",
            url.authority(),
            "the path looks like an order code, but this domain is neither an Alipay+ domain nor \
             registered by an ACQP",
        ));
    } else if registry.is_entry_code(url) {
        hints.push(ExplanationLine::new(
            "Scheme",
            url.scheme.clone(),
            "the domain is a registered entry-code domain, but entry codes must be HTTPS (HTTP \
             only on loopback addresses)",
        ));
    } else {
        hints.push(ExplanationLine::new(
            "Domain",
            url.authority(),
            "a web link on a domain not registered for order codes or entry codes",
        ));
    }
    hints
}

fn payment_code_lines(code: &PaymentCode) -> Vec<ExplanationLine> {
    let mut lines = vec![
        ExplanationLine::new(
            "Digits",
            code.digits.clone(),
            format!("{} digits", code.digits.len()),
        ),
        ExplanationLine::new("Layout", code.describe(), "how the digits are organised"),
    ];
    match &code.form {
        PaymentCodeForm::TestWallet { serial } => lines.push(ExplanationLine::new(
            "Serial",
            serial.clone(),
            "Linker's TEST_WALLET code: valid 60 s, single use",
        )),
        PaymentCodeForm::Routed { routing } => lines.push(match code.linker_wallet() {
            Some(wallet) => ExplanationLine::new(
                "Routing number",
                routing.clone(),
                format!(
                    "{}: a routing number Linker assigns to the wallet it plays (the real \
                     issuers' numbers are not public)",
                    wallet.name
                ),
            ),
            None => ExplanationLine::new(
                "Routing number",
                routing.clone(),
                "names the wallet that issued the code",
            ),
        }),
        PaymentCodeForm::Mainstream {
            issuer_id,
            business_type,
            user_number,
        } => {
            lines.push(ExplanationLine::new(
                "Issuer id",
                issuer_id.clone(),
                "the code issuer",
            ));
            lines.push(ExplanationLine::new(
                "Business type",
                business_type.clone(),
                "02 = payment code",
            ));
            lines.push(ExplanationLine::new(
                "User number",
                user_number.clone(),
                "the payer",
            ));
        }
        PaymentCodeForm::Legacy { pattern } => lines.push(ExplanationLine::new(
            "Pattern",
            *pattern,
            "an older accepted form",
        )),
        PaymentCodeForm::Unrecognised => {}
    }
    lines
}

fn order_code_lines(code: &OrderCode, domain_meaning: &str) -> Vec<ExplanationLine> {
    vec![
        ExplanationLine::new("Domain", code.domain.clone(), domain_meaning),
        ExplanationLine::new(
            "Prefix",
            code.prefix.clone(),
            "12 digits matching 281ddd04dddd",
        ),
        ExplanationLine::new(
            "Acquirer",
            code.acquirer_digits.clone(),
            "digits 4-6: the acquirer, assigned by Alipay+",
        ),
        ExplanationLine::new(
            "Issuer digits",
            code.issuer_digits.clone(),
            "digits 9-12: the code issuer's",
        ),
        ExplanationLine::new("Token", code.token.clone(), "opaque: names one transaction"),
    ]
}

fn mpm_lines(code: &MpmCode) -> Vec<ExplanationLine> {
    let mut lines = vec![ExplanationLine::new(
        "Domain",
        code.domain.clone(),
        "the MPM code's domain",
    )];
    lines.extend(code.objects.iter().map(|MpmDataObject { id, value }| {
        ExplanationLine::new(id, value.clone(), format!("data object {id}"))
    }));
    lines
}

fn emvco_lines(payload: &EmvcoPayload) -> Vec<ExplanationLine> {
    let mut lines = Vec::new();
    for object in &payload.objects {
        push_emvco_line(&mut lines, object, "");
    }
    let (value, explanation) = match &payload.crc {
        CrcCheck::Valid => ("valid".to_owned(), "CRC-16/CCITT-FALSE matches".to_owned()),
        CrcCheck::Mismatch { expected, found } => (
            found.clone(),
            format!("does not match: computed {expected}"),
        ),
        CrcCheck::Missing => ("missing".to_owned(), "no tag 63 at the end".to_owned()),
    };
    lines.push(ExplanationLine::new("CRC check", value, explanation));
    lines
}

fn push_emvco_line(lines: &mut Vec<ExplanationLine>, object: &EmvcoDataObject, parent: &str) {
    let label = if object.name.is_empty() {
        format!("{parent}{}", object.id)
    } else {
        format!("{parent}{} {}", object.id, object.name)
    };
    let explanation = match (parent.is_empty(), object.id.as_str()) {
        (true, "01") => match object.value.as_str() {
            "11" => "static: reusable, the customer enters the amount".to_owned(),
            "12" => "dynamic: one transaction".to_owned(),
            _ => "unexpected value (11 static, 12 dynamic)".to_owned(),
        },
        (true, "53") => match currency_alpha(&object.value) {
            Some(alpha) => format!("ISO 4217 numeric for {alpha}"),
            None => "ISO 4217 numeric currency".to_owned(),
        },
        (true, "54") => "amount in major units".to_owned(),
        (true, "52") => "ISO 18245 merchant category".to_owned(),
        (true, "58") => "ISO 3166 alpha-2".to_owned(),
        _ if !object.children.is_empty() => "template; nested fields follow".to_owned(),
        _ => String::new(),
    };
    lines.push(ExplanationLine::new(
        &label,
        object.value.clone(),
        explanation,
    ));
    let prefix = format!("{parent}{}.", object.id);
    for child in &object.children {
        push_emvco_line(lines, child, &prefix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> DomainRegistry {
        DomainRegistry {
            alipay_domains: vec!["127.0.0.1:7070".into()],
            private_order_code_domains: vec!["pay.acqp.example".into()],
            entry_code_domains: vec!["shop.acqp.example".into(), "localhost".into()],
        }
    }

    #[test]
    fn order_of_decisions() {
        let r = registry();
        let cases = [
            ("281999000000000000000042", CodeKind::PaymentCode),
            (
                "https://global.alipay.com/2810020400931LFH2t",
                CodeKind::AlipayOrderCode,
            ),
            (
                "https://127.0.0.1:7070/2810020400931LFH2t",
                CodeKind::AlipayOrderCode,
            ),
            (
                "https://127.0.0.1:7071/2810020400931LFH2t",
                CodeKind::NotAlipayPlus,
            ),
            (
                "https://PAY.acqp.example/2810020400931abc",
                CodeKind::PrivateOrderCode,
            ),
            (
                "https://shop.acqp.example/entry?store=1",
                CodeKind::EntryCode,
            ),
            ("http://shop.acqp.example/entry", CodeKind::NotAlipayPlus),
            ("http://localhost:9000/entry", CodeKind::EntryCode),
            ("hello", CodeKind::NotAlipayPlus),
            ("", CodeKind::NotAlipayPlus),
        ];
        for (input, kind) in cases {
            let c = classify(input, &r);
            assert_eq!(c.kind(), kind, "{input:?}: {}", c.summary);
            assert!(!c.lines.is_empty(), "{input:?} has explanation lines");
        }
    }

    #[test]
    fn a_linker_routing_number_names_its_wallet_and_says_it_is_linkers_own() {
        let gcash = classify("281105000000000000000007", &DomainRegistry::default());
        let routing = gcash
            .lines
            .iter()
            .find(|line| line.label == "Routing number")
            .map(|line| line.explanation.clone())
            .unwrap_or_default();
        assert!(
            routing.starts_with("GCASH") && routing.contains("not public"),
            "names GCASH as Linker's assignment: {routing}"
        );
        let foreign = classify("281123000000000000000007", &DomainRegistry::default());
        let routing = foreign
            .lines
            .iter()
            .find(|line| line.label == "Routing number")
            .map(|line| line.explanation.clone())
            .unwrap_or_default();
        assert_eq!(
            routing, "names the wallet that issued the code",
            "a number Linker did not assign names no wallet"
        );
    }

    #[test]
    fn serialises_with_kind_and_detail() {
        let c = classify("281999000000000000000042", &DomainRegistry::default());
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["kind"], "paymentCode", "{json}");
        assert_eq!(
            json["detail"]["digits"], "281999000000000000000042",
            "{json}"
        );
        let c = classify("nope", &DomainRegistry::default());
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["kind"], "notAlipayPlus", "{json}");
    }
}
