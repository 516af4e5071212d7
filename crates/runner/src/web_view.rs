//! The wallet's web view, headless: opens an ACQP's entry-code page with the wallet's
//! User-Agent, fills in the amount, submits the form and follows it to the payment page the
//! ACQP's `pay` returned. Enough HTML for a plain amount form, which is what entry pages are.
//! It also opens the merchant's return pages the wallet sends the customer back to.

use std::time::Duration;

use linker_aplus::Amount;

/// The web view's HTTP client: the wallet's User-Agent, 30 s per page.
fn web_view(
    user_agent: &str,
    redirects: reqwest::redirect::Policy,
) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .redirect(redirects)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|error| format!("cannot make the web view's HTTP client: {error}"))
}

/// Opens `url` as the customer's browser would when the wallet sends them back to the merchant
/// (a cashier payment's `paymentRedirectUrl`, an authorization's `authRedirectUrl`), following
/// its redirects; the page's own logic (e.g. asking Alipay+ for the order's state) runs then.
pub async fn visit(url: &str, user_agent: &str) -> Result<(), String> {
    let client = web_view(user_agent, reqwest::redirect::Policy::default())?;
    let page = client
        .get(url)
        .send()
        .await
        .map_err(|error| format!("the merchant's page {url} cannot be opened: {error}"))?;
    if page.status().is_success() {
        Ok(())
    } else {
        Err(format!(
            "the merchant's page {url} answered HTTP {}",
            page.status()
        ))
    }
}

/// Opens `url` as the wallet would, enters `amount` in the page's form and returns the payment
/// URL the page sends the customer to.
pub async fn submit_amount(url: &str, user_agent: &str, amount: Amount) -> Result<String, String> {
    let client = web_view(user_agent, reqwest::redirect::Policy::none())?;
    let page = client
        .get(url)
        .send()
        .await
        .map_err(|error| format!("the entry page {url} cannot be opened: {error}"))?;
    let status = page.status();
    let html = page
        .text()
        .await
        .map_err(|error| format!("the entry page {url} could not be read: {error}"))?;
    if !status.is_success() {
        return Err(format!(
            "the entry page {url} answered HTTP {status}: {}",
            first_line(&html)
        ));
    }
    let form = find_form(&html)
        .ok_or_else(|| format!("the entry page {url} has no form to enter an amount in"))?;
    let mut fields = form.hidden.clone();
    fields.push((form.amount_field.clone(), major_units(amount)));
    let action = resolve(url, form.action.as_deref().unwrap_or(""));
    let body = fields
        .iter()
        .map(|(name, value)| format!("{}={}", form_encode(name), form_encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    let answer = client
        .post(&action)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|error| format!("the entry page's form could not be sent to {action}: {error}"))?;
    let status = answer.status();
    if status.is_redirection() {
        let location = answer
            .headers()
            .get("location")
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| format!("the entry page redirected (HTTP {status}) to nowhere"))?;
        return Ok(resolve(&action, location));
    }
    let text = answer.text().await.unwrap_or_default();
    Err(format!(
        "the entry page did not send the customer to a payment page (HTTP {status}): {}",
        first_line(&strip_tags(&text))
    ))
}

/// The amount as a person types it: major units, e.g. `12.34`.
fn major_units(amount: Amount) -> String {
    let shown = amount.to_string();
    shown
        .split_once(' ')
        .map_or(shown.clone(), |(_, number)| number.to_owned())
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Form {
    action: Option<String>,
    amount_field: String,
    hidden: Vec<(String, String)>,
}

/// The first form with an amount input (an input whose name contains `amount`).
fn find_form(html: &str) -> Option<Form> {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<form").map(|i| i + from) {
        let end = lower[start..]
            .find("</form>")
            .map_or(lower.len(), |i| i + start);
        let tag_end = lower[start..].find('>').map_or(end, |i| i + start);
        let action = attribute(&html[start..tag_end], "action");
        let mut amount_field = None;
        let mut hidden = Vec::new();
        let mut at = start;
        while let Some(input) = lower[at..end].find("<input").map(|i| i + at) {
            let close = lower[input..end].find('>').map_or(end, |i| i + input);
            let tag = &html[input..close];
            if let Some(name) = attribute(tag, "name") {
                let kind = attribute(tag, "type")
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if name.to_ascii_lowercase().contains("amount") {
                    amount_field = Some(name);
                } else if kind == "hidden" {
                    hidden.push((name, attribute(tag, "value").unwrap_or_default()));
                }
            }
            at = close;
        }
        if let Some(amount_field) = amount_field {
            return Some(Form {
                action,
                amount_field,
                hidden,
            });
        }
        from = end;
    }
    None
}

/// An attribute's value in a start tag (quoted with `"` or `'`, or bare).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(name).map(|i| i + from) {
        let before_ok = found == 0
            || lower[..found]
                .chars()
                .last()
                .is_some_and(char::is_whitespace);
        let rest = lower[found + name.len()..].trim_start();
        if before_ok && rest.starts_with('=') {
            let value_start = tag.len() - rest.len() + 1;
            let value = tag[value_start..].trim_start();
            let text = match value.chars().next() {
                Some(quote @ ('"' | '\'')) => value[1..].split(quote).next().unwrap_or(""),
                _ => value
                    .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                    .next()
                    .unwrap_or(""),
            };
            return Some(unescape(text));
        }
        from = found + name.len();
    }
    None
}

fn unescape(text: &str) -> String {
    text.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// `reference` resolved against `base` (absolute URL, absolute path, or relative path).
fn resolve(base: &str, reference: &str) -> String {
    if reference.starts_with("http://") || reference.starts_with("https://") {
        return reference.to_owned();
    }
    let without_query = base.split(['?', '#']).next().unwrap_or(base);
    let origin_end = without_query
        .find("://")
        .and_then(|scheme| {
            without_query[scheme + 3..]
                .find('/')
                .map(|i| i + scheme + 3)
        })
        .unwrap_or(without_query.len());
    let origin = &without_query[..origin_end];
    if reference.is_empty() {
        return base.to_owned();
    }
    if reference.starts_with('/') {
        return format!("{origin}{reference}");
    }
    let directory = without_query
        .rfind('/')
        .filter(|&i| i >= origin_end)
        .map_or(format!("{origin}/"), |i| without_query[..=i].to_owned());
    format!("{directory}{reference}")
}

fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn first_line(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or("").trim();
    line.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_amount_form_and_its_hidden_fields() {
        let html = r#"<html><form action="/search"><input name="q"></form>
            <form method="post" action='/entry/S1/pay'><input type="hidden" name="store" value="S1&amp;2">
            <input type=number name="amount" step="0.01"><button>Pay</button></form>"#;
        let form = find_form(html).unwrap();
        assert_eq!(form.action.as_deref(), Some("/entry/S1/pay"), "{form:?}");
        assert_eq!(form.amount_field, "amount");
        assert_eq!(form.hidden, vec![("store".to_owned(), "S1&2".to_owned())]);
        assert_eq!(find_form("<p>no form</p>"), None);
    }

    #[test]
    fn resolves_links_like_a_browser() {
        let base = "http://127.0.0.1:7070/entry/S1?x=1";
        assert_eq!(resolve(base, "/pay"), "http://127.0.0.1:7070/pay");
        assert_eq!(resolve(base, "go"), "http://127.0.0.1:7070/entry/go");
        assert_eq!(resolve(base, "https://hub/p"), "https://hub/p");
        assert_eq!(resolve(base, ""), base);
        assert_eq!(resolve("http://h:1", "a"), "http://h:1/a");
    }

    #[test]
    fn amounts_are_typed_in_major_units_and_forms_are_encoded() {
        let amount = Amount::parse("HKD", "1234").unwrap();
        assert_eq!(major_units(amount), "12.34");
        assert_eq!(form_encode("a b&c=é"), "a+b%26c%3D%C3%A9");
    }
}
