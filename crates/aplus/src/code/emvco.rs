//! EMVCo merchant-presented QR payloads (`000201...`).
//!
//! Tag-length-value with two-digit ids and lengths. Templates (26-51 merchant account
//! information, 62 additional data, 64 alternate language, 80-99 unreserved) hold nested
//! objects. The payload ends with tag 63: CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over the
//! whole payload up to and including `6304`, as 4 uppercase hex digits.

use serde::Serialize;

/// Why a payload is not a well-formed EMVCo QR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmvcoError {
    /// The TLV structure is broken.
    #[error("TLV structure: {0}")]
    Structure(String),
    /// The first object is not `00` (Payload Format Indicator).
    #[error("an EMVCo payload starts with 00 (Payload Format Indicator), e.g. 000201")]
    NoFormatIndicator,
    /// The CRC does not match.
    #[error("CRC mismatch: payload says {found}, computed {expected}")]
    CrcMismatch {
        /// The CRC computed over the payload.
        expected: String,
        /// The CRC in tag 63.
        found: String,
    },
    /// No tag 63 at the end.
    #[error("no CRC (tag 63, length 04) at the end")]
    MissingCrc,
    /// A value is too long for a 2-digit length or an id is not 2 digits.
    #[error("cannot encode: {0}")]
    Encode(String),
}

/// The outcome of the CRC check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "status")]
pub enum CrcCheck {
    /// Tag 63 matches.
    Valid,
    /// Tag 63 does not match.
    Mismatch {
        /// Computed.
        expected: String,
        /// Read.
        found: String,
    },
    /// There is no tag 63 (length 04) at the end.
    Missing,
}

/// One data object, with its well-known name and nested objects for templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmvcoDataObject {
    /// Two-digit id.
    pub id: String,
    /// The EMVCo name of the field, or an empty string.
    pub name: String,
    /// The raw value (for a template, the encoded nested objects).
    pub value: String,
    /// Nested objects, for templates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<EmvcoDataObject>,
}

impl EmvcoDataObject {
    /// A primitive object.
    pub fn new(id: &str, value: &str) -> EmvcoDataObject {
        EmvcoDataObject {
            id: id.to_owned(),
            name: field_name(id, None).to_owned(),
            value: value.to_owned(),
            children: Vec::new(),
        }
    }

    /// A template holding `children`; its value is their encoding.
    pub fn template(
        id: &str,
        children: Vec<EmvcoDataObject>,
    ) -> Result<EmvcoDataObject, EmvcoError> {
        let mut value = String::new();
        for child in &children {
            encode_object(&mut value, child)?;
        }
        let children = children
            .into_iter()
            .map(|mut c| {
                c.name = field_name(&c.id, Some(id)).to_owned();
                c
            })
            .collect();
        Ok(EmvcoDataObject {
            id: id.to_owned(),
            name: field_name(id, None).to_owned(),
            value,
            children,
        })
    }
}

/// A parsed EMVCo payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmvcoPayload {
    /// The payload as read.
    pub raw: String,
    /// Top-level objects in order, tag 63 included.
    pub objects: Vec<EmvcoDataObject>,
    /// The CRC check.
    pub crc: CrcCheck,
}

impl EmvcoPayload {
    /// Parses and requires a valid CRC.
    pub fn parse(text: &str) -> Result<EmvcoPayload, EmvcoError> {
        let payload = EmvcoPayload::parse_lenient(text)?;
        match &payload.crc {
            CrcCheck::Valid => Ok(payload),
            CrcCheck::Missing => Err(EmvcoError::MissingCrc),
            CrcCheck::Mismatch { expected, found } => Err(EmvcoError::CrcMismatch {
                expected: expected.clone(),
                found: found.clone(),
            }),
        }
    }

    /// Parses the structure and reports the CRC without failing on it (for showing a damaged or
    /// hand-made code).
    pub fn parse_lenient(text: &str) -> Result<EmvcoPayload, EmvcoError> {
        let mut objects = parse_tlv(text)?;
        if objects.first().map(|o| o.id.as_str()) != Some("00") {
            return Err(EmvcoError::NoFormatIndicator);
        }
        for object in &mut objects {
            object.name = field_name(&object.id, None).to_owned();
            if is_template(&object.id)
                && let Ok(mut children) = parse_tlv(&object.value)
            {
                for child in &mut children {
                    child.name = field_name(&child.id, Some(&object.id)).to_owned();
                }
                object.children = children;
            }
        }
        let crc = match objects.last() {
            Some(last) if last.id == "63" && last.value.chars().count() == 4 => {
                let covered = text.strip_suffix(last.value.as_str()).unwrap_or(text);
                let expected = crc16_hex(covered.as_bytes());
                if last.value.eq_ignore_ascii_case(&expected) {
                    CrcCheck::Valid
                } else {
                    CrcCheck::Mismatch {
                        expected,
                        found: last.value.clone(),
                    }
                }
            }
            _ => CrcCheck::Missing,
        };
        Ok(EmvcoPayload {
            raw: text.to_owned(),
            objects,
            crc,
        })
    }

    /// Encodes objects (any tag 63 given is dropped) and appends `6304` + CRC.
    pub fn build(objects: &[EmvcoDataObject]) -> Result<String, EmvcoError> {
        let mut out = String::new();
        for object in objects.iter().filter(|o| o.id != "63") {
            encode_object(&mut out, object)?;
        }
        out.push_str("6304");
        let crc = crc16_hex(out.as_bytes());
        out.push_str(&crc);
        Ok(out)
    }

    /// The first top-level object with `id`.
    pub fn get(&self, id: &str) -> Option<&EmvcoDataObject> {
        self.objects.iter().find(|o| o.id == id)
    }
}

fn encode_object(out: &mut String, object: &EmvcoDataObject) -> Result<(), EmvcoError> {
    let valid_id = object.id.len() == 2 && object.id.bytes().all(|b| b.is_ascii_digit());
    if !valid_id {
        return Err(EmvcoError::Encode(format!(
            "id {:?} is not 2 digits",
            object.id
        )));
    }
    let value = if object.children.is_empty() {
        object.value.clone()
    } else {
        let mut nested = String::new();
        for child in &object.children {
            encode_object(&mut nested, child)?;
        }
        nested
    };
    let len = value.chars().count();
    if len > 99 {
        return Err(EmvcoError::Encode(format!(
            "value of {} is {len} characters, more than 99",
            object.id
        )));
    }
    out.push_str(&object.id);
    out.push_str(&format!("{len:02}"));
    out.push_str(&value);
    Ok(())
}

fn parse_tlv(text: &str) -> Result<Vec<EmvcoDataObject>, EmvcoError> {
    let chars: Vec<char> = text.chars().collect();
    let mut objects = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let header = chars
            .get(i..i + 4)
            .ok_or_else(|| EmvcoError::Structure(format!("truncated object at character {i}")))?;
        if !header.iter().all(|c| c.is_ascii_digit()) {
            let shown: String = header.iter().collect();
            return Err(EmvcoError::Structure(format!(
                "{shown:?} at character {i} is not a 2-digit id and 2-digit length"
            )));
        }
        let id: String = header[..2].iter().collect();
        let len_text: String = header[2..].iter().collect();
        let len: usize = len_text
            .parse()
            .map_err(|_| EmvcoError::Structure(format!("bad length {len_text:?}")))?;
        let value = chars.get(i + 4..i + 4 + len).ok_or_else(|| {
            EmvcoError::Structure(format!("{id} says {len} characters, fewer remain"))
        })?;
        objects.push(EmvcoDataObject {
            id,
            name: String::new(),
            value: value.iter().collect(),
            children: Vec::new(),
        });
        i += 4 + len;
    }
    Ok(objects)
}

fn is_template(id: &str) -> bool {
    id.parse::<u8>()
        .is_ok_and(|n| (26..=51).contains(&n) || n == 62 || n == 64 || (80..=99).contains(&n))
}

/// The EMVCo name of a field; `parent` is the enclosing template's id for nested objects.
pub fn field_name(id: &str, parent: Option<&str>) -> &'static str {
    let n: u8 = match id.parse() {
        Ok(n) => n,
        Err(_) => return "",
    };
    match parent.and_then(|p| p.parse::<u8>().ok()) {
        None => match n {
            0 => "Payload Format Indicator",
            1 => "Point of Initiation Method",
            2..=25 => "Merchant Account Information",
            26..=51 => "Merchant Account Information (template)",
            52 => "Merchant Category Code",
            53 => "Transaction Currency",
            54 => "Transaction Amount",
            55 => "Tip or Convenience Indicator",
            56 => "Value of Convenience Fee Fixed",
            57 => "Value of Convenience Fee Percentage",
            58 => "Country Code",
            59 => "Merchant Name",
            60 => "Merchant City",
            61 => "Postal Code",
            62 => "Additional Data Field Template",
            63 => "CRC",
            64 => "Merchant Information - Language Template",
            65..=79 => "Reserved for Future Use",
            _ => "Unreserved Template",
        },
        Some(62) => match n {
            1 => "Bill Number",
            2 => "Mobile Number",
            3 => "Store Label",
            4 => "Loyalty Number",
            5 => "Reference Label",
            6 => "Customer Label",
            7 => "Terminal Label",
            8 => "Purpose of Transaction",
            9 => "Additional Consumer Data Request",
            _ => "Additional data",
        },
        Some(64) => match n {
            0 => "Language Preference",
            1 => "Merchant Name - Alternate Language",
            2 => "Merchant City - Alternate Language",
            _ => "Language template data",
        },
        Some(_) => match n {
            0 => "Globally Unique Identifier",
            _ => "Payment network specific",
        },
    }
}

/// ISO 4217 numeric to alpha-3 for the currencies seen in merchant QR codes.
pub fn currency_alpha(numeric: &str) -> Option<&'static str> {
    Some(match numeric {
        "036" => "AUD",
        "096" => "BND",
        "116" => "KHR",
        "156" => "CNY",
        "344" => "HKD",
        "360" => "IDR",
        "392" => "JPY",
        "410" => "KRW",
        "446" => "MOP",
        "458" => "MYR",
        "608" => "PHP",
        "702" => "SGD",
        "704" => "VND",
        "764" => "THB",
        "826" => "GBP",
        "840" => "USD",
        "901" => "TWD",
        "978" => "EUR",
        _ => return None,
    })
}

/// CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final XOR.
pub fn crc16_ccitt_false(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn crc16_hex(data: &[u8]) -> String {
    format!("{:04X}", crc16_ccitt_false(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        assert_eq!(
            crc16_ccitt_false(b"123456789"),
            0x29B1,
            "standard check value"
        );
    }

    #[test]
    fn build_parse_round_trip_with_nested_template() {
        let objects = vec![
            EmvcoDataObject::new("00", "01"),
            EmvcoDataObject::new("01", "12"),
            EmvcoDataObject::template(
                "26",
                vec![
                    EmvcoDataObject::new("00", "com.alipayplus"),
                    EmvcoDataObject::new("01", "M0001"),
                ],
            )
            .unwrap(),
            EmvcoDataObject::new("52", "5812"),
            EmvcoDataObject::new("53", "344"),
            EmvcoDataObject::new("54", "50.00"),
            EmvcoDataObject::new("58", "HK"),
            EmvcoDataObject::new("59", "LINKER CAFE"),
            EmvcoDataObject::new("60", "HONG KONG"),
            EmvcoDataObject::template("62", vec![EmvcoDataObject::new("05", "ORDER1")]).unwrap(),
        ];
        let text = EmvcoPayload::build(&objects).unwrap();
        assert!(text.starts_with("000201010212"), "{text}");
        let parsed = EmvcoPayload::parse(&text).unwrap();
        assert_eq!(parsed.crc, CrcCheck::Valid);
        let t26 = parsed.get("26").unwrap();
        assert_eq!(t26.children[0].value, "com.alipayplus");
        assert_eq!(t26.children[0].name, "Globally Unique Identifier");
        assert_eq!(
            parsed.get("62").unwrap().children[0].name,
            "Reference Label"
        );
        assert_eq!(parsed.get("59").unwrap().name, "Merchant Name");
        assert_eq!(&parsed.objects[..parsed.objects.len() - 1], &objects[..]);
    }

    #[test]
    fn crc_mismatch_is_reported() {
        let text = EmvcoPayload::build(&[EmvcoDataObject::new("00", "01")]).unwrap();
        let mut damaged = text.clone();
        damaged.replace_range(4..6, "02");
        assert!(matches!(
            EmvcoPayload::parse(&damaged),
            Err(EmvcoError::CrcMismatch { .. })
        ));
        assert!(matches!(
            EmvcoPayload::parse_lenient(&damaged).unwrap().crc,
            CrcCheck::Mismatch { .. }
        ));
        assert_eq!(
            EmvcoPayload::parse("0002015802HK"),
            Err(EmvcoError::MissingCrc)
        );
        assert!(EmvcoPayload::parse("0002").is_err());
        assert_eq!(
            EmvcoPayload::parse("5802HK"),
            Err(EmvcoError::NoFormatIndicator)
        );
    }
}
