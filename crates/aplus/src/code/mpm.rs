//! Alipay+ MPM standard codes: `HTTPS://<DOMAIN>/MPM/3/<base64 payload>`.
//!
//! The payload is `GPLD` + a 3-digit length + data objects, each a 4-character id, a 3-digit
//! length and the value. Lengths count characters.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::Serialize;

use super::url::{HttpUrl, UrlError};

/// The path prefix of an MPM code.
pub const MPM_PATH_PREFIX: &str = "/MPM/3/";
/// The id of the outer payload object.
pub const PAYLOAD_ID: &str = "GPLD";

/// Why a string is not an MPM code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MpmError {
    /// Not a URL.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// Not `https://` or no `/MPM/3/` path.
    #[error("not an HTTPS://<DOMAIN>/MPM/3/<payload> URL")]
    NotMpm,
    /// The payload is not base64 (standard or URL-safe).
    #[error("payload is not base64")]
    NotBase64,
    /// The decoded payload is not UTF-8 text.
    #[error("decoded payload is not text")]
    NotText,
    /// The decoded payload does not follow `GPLD` + length + data objects.
    #[error("payload structure: {0}")]
    Structure(String),
}

/// One data object of an MPM payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MpmDataObject {
    /// The 4-character id.
    pub id: String,
    /// The value.
    pub value: String,
}

/// An MPM code taken apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MpmCode {
    /// The URL as read.
    pub url: String,
    /// The domain (`host` or `host:port`), lowercase.
    pub domain: String,
    /// The decoded payload text.
    pub payload: String,
    /// The data objects inside `GPLD`.
    pub objects: Vec<MpmDataObject>,
}

impl MpmCode {
    /// True when `text` looks like an MPM URL (https and the `/MPM/3/` path), before decoding.
    pub fn looks_like(text: &str) -> bool {
        HttpUrl::parse(text).is_ok_and(|u| u.is_https() && has_mpm_path(&u.path))
    }

    /// Reads and decodes an MPM code.
    pub fn parse(text: &str) -> Result<MpmCode, MpmError> {
        let url = HttpUrl::parse(text)?;
        if !url.is_https() || !has_mpm_path(&url.path) {
            return Err(MpmError::NotMpm);
        }
        let encoded = &url.path[MPM_PATH_PREFIX.len()..];
        let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(encoded.as_bytes()).ok())
            .ok_or(MpmError::NotBase64)?;
        let payload = String::from_utf8(bytes).map_err(|_| MpmError::NotText)?;
        let outer = parse_objects(&payload)?;
        let [gpld] = outer.as_slice() else {
            return Err(MpmError::Structure(format!(
                "expected one {PAYLOAD_ID} object, found {}",
                outer.len()
            )));
        };
        if gpld.id != PAYLOAD_ID {
            return Err(MpmError::Structure(format!(
                "payload starts with {:?}, not {PAYLOAD_ID}",
                gpld.id
            )));
        }
        let objects = parse_objects(&gpld.value)?;
        Ok(MpmCode {
            url: text.to_owned(),
            domain: url.authority(),
            payload,
            objects,
        })
    }

    /// Builds `HTTPS://<DOMAIN>/MPM/3/<base64>` from data objects (ids of 4 characters, values
    /// up to 999 characters).
    pub fn build(domain: &str, objects: &[MpmDataObject]) -> Result<String, MpmError> {
        let mut inner = String::new();
        for object in objects {
            write_object(&mut inner, &object.id, &object.value)?;
        }
        let mut payload = String::new();
        write_object(&mut payload, PAYLOAD_ID, &inner)?;
        Ok(format!(
            "HTTPS://{}{MPM_PATH_PREFIX}{}",
            domain.to_ascii_uppercase(),
            STANDARD.encode(payload.as_bytes())
        ))
    }
}

fn has_mpm_path(path: &str) -> bool {
    path.get(..MPM_PATH_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(MPM_PATH_PREFIX))
}

fn write_object(out: &mut String, id: &str, value: &str) -> Result<(), MpmError> {
    let len = value.chars().count();
    if id.chars().count() != 4 {
        return Err(MpmError::Structure(format!(
            "id {id:?} is not 4 characters"
        )));
    }
    if len > 999 {
        return Err(MpmError::Structure(format!(
            "value of {id} longer than 999"
        )));
    }
    out.push_str(id);
    out.push_str(&format!("{len:03}"));
    out.push_str(value);
    Ok(())
}

fn parse_objects(text: &str) -> Result<Vec<MpmDataObject>, MpmError> {
    let chars: Vec<char> = text.chars().collect();
    let mut objects = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let header = chars.get(i..i + 7).ok_or_else(|| {
            MpmError::Structure(format!("truncated data object at character {i}"))
        })?;
        let id: String = header[..4].iter().collect();
        let len_text: String = header[4..].iter().collect();
        let len: usize = len_text
            .parse()
            .ok()
            .filter(|_| len_text.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                MpmError::Structure(format!("length {len_text:?} of {id} is not 3 digits"))
            })?;
        let value = chars.get(i + 7..i + 7 + len).ok_or_else(|| {
            MpmError::Structure(format!("{id} says {len} characters, fewer remain"))
        })?;
        objects.push(MpmDataObject {
            id,
            value: value.iter().collect(),
        });
        i += 7 + len;
    }
    Ok(objects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_then_parse_round_trips() {
        let objects = vec![
            MpmDataObject {
                id: "MRID".into(),
                value: "M0001".into(),
            },
            MpmDataObject {
                id: "STNM".into(),
                value: "Linker Café".into(),
            },
        ];
        let url = MpmCode::build("qr.alipayplus.com", &objects).unwrap();
        assert!(url.starts_with("HTTPS://QR.ALIPAYPLUS.COM/MPM/3/"), "{url}");
        let code = MpmCode::parse(&url).unwrap();
        assert_eq!(code.objects, objects);
        assert!(code.payload.starts_with("GPLD"), "{}", code.payload);
    }

    #[test]
    fn rejects_bad_payloads() {
        assert_eq!(
            MpmCode::parse("https://x/MPM/3/!!!"),
            Err(MpmError::NotBase64)
        );
        let bad = STANDARD.encode("GPLD010abc");
        assert!(matches!(
            MpmCode::parse(&format!("https://x/MPM/3/{bad}")),
            Err(MpmError::Structure(_))
        ));
        assert_eq!(MpmCode::parse("https://x/other"), Err(MpmError::NotMpm));
    }
}
