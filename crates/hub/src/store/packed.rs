//! The request log's texts packed into one blob: a logged exchange's headers and bodies are
//! Alipay+ JSON that repeats itself from call to call (the same keys, header names, result
//! codes), so each exchange's four texts are deflated together against a preset dictionary of
//! typical messages ([`DICTIONARY`]). A `pay` of ~1.3 KB of headers and bodies packs into about
//! 70 bytes, an `inquiryPayment` into about 50 (issue 15: at most 1 KB stored per signed call).
//!
//! Format 1: a byte `1`, each text's length as an LEB128 varint, then raw deflate that continues
//! a stream which began with the dictionary (flushed to a byte boundary): unpacking inflates the
//! dictionary's own deflate followed by the blob and drops the dictionary's bytes. A released
//! format's dictionary never changes (a test pins its SHA-256); a new dictionary is a new format.

use std::sync::OnceLock;

use miniz_oxide::deflate::core::{
    CompressorOxide, TDEFLFlush, TDEFLStatus, compress_to_output, create_comp_flags_from_zip_params,
};

use super::StoreError;

/// Typical Alipay+ messages and headers, most frequent last (nearest in the window).
pub(crate) const DICTIONARY: &str = include_str!("packed_dictionary.txt");

/// The first byte of a format-1 blob.
const FORMAT: u8 = 1;

/// How far a blob may inflate (a logged body is at most 64 KB; four of them and the dictionary).
const MAX_INFLATED: usize = 4 * 64 * 1024 + 2 * DICTIONARY.len();

/// A compressor that has taken in the dictionary, and the deflate it wrote for it.
struct Primed {
    compressor: CompressorOxide,
    prefix: Vec<u8>,
}

fn primed() -> &'static Primed {
    static PRIMED: OnceLock<Primed> = OnceLock::new();
    PRIMED.get_or_init(|| {
        // Raw deflate (negative window bits), level 6.
        let mut compressor = CompressorOxide::new(create_comp_flags_from_zip_params(6, -15, 0));
        let mut prefix = Vec::new();
        compress_to_output(
            &mut compressor,
            DICTIONARY.as_bytes(),
            TDEFLFlush::Sync,
            |out| {
                prefix.extend_from_slice(out);
                true
            },
        );
        Primed { compressor, prefix }
    })
}

fn push_varint(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Option<usize> {
    let mut value = 0usize;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= usize::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Packs texts into one blob (format 1).
pub(crate) fn pack(texts: &[&str]) -> Vec<u8> {
    let mut out = vec![FORMAT];
    for text in texts {
        push_varint(&mut out, text.len());
    }
    let mut compressor = primed().compressor.clone();
    let whole = texts.concat();
    let (status, _) = compress_to_output(
        &mut compressor,
        whole.as_bytes(),
        TDEFLFlush::Finish,
        |bytes| {
            out.extend_from_slice(bytes);
            true
        },
    );
    debug_assert_eq!(
        status,
        TDEFLStatus::Done,
        "deflate of {} bytes",
        whole.len()
    );
    out
}

/// Unpacks the `count` texts of a blob [`pack`] made.
pub(crate) fn unpack(blob: &[u8], count: usize) -> Result<Vec<String>, StoreError> {
    let corrupt = |why: &str| StoreError::Corrupt(format!("exchanges.packed: {why}"));
    if blob.first() != Some(&FORMAT) {
        return Err(corrupt("unknown format"));
    }
    let mut at = 1;
    let lengths = (0..count)
        .map(|_| read_varint(blob, &mut at))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| corrupt("lengths cut short"))?;
    let prefix = &primed().prefix;
    let mut stream = Vec::with_capacity(prefix.len() + blob.len() - at);
    stream.extend_from_slice(prefix);
    stream.extend_from_slice(&blob[at..]);
    let inflated = miniz_oxide::inflate::decompress_to_vec_with_limit(&stream, MAX_INFLATED)
        .map_err(|e| corrupt(&format!("inflate: {e}")))?;
    let mut rest = inflated
        .get(DICTIONARY.len()..)
        .ok_or_else(|| corrupt("shorter than its dictionary"))?;
    let mut texts = Vec::with_capacity(count);
    for length in lengths {
        if length > rest.len() {
            return Err(corrupt("a text longer than what inflated"));
        }
        let (text, tail) = rest.split_at(length);
        texts.push(String::from_utf8(text.to_vec()).map_err(|_| corrupt("not UTF-8"))?);
        rest = tail;
    }
    Ok(texts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_come_back_as_they_were_packed_and_typical_calls_pack_small() {
        let headers = r#"{"client-id":"TEST_00042","content-type":"application/json; charset=UTF-8","request-time":"2026-11-25T10:00:00+08:00","signature":"algorithm=RSA256,keyVersion=1,signature=(verified; value not kept)"}"#;
        let body = r#"{"paymentRequestId":"b199"}"#;
        let cases: [&[&str]; 4] = [
            &[headers, body, "", "héllo ✓ \u{0}"],
            &["", "", "", ""],
            &[&"x".repeat(70_000), "a", "b", "c"],
            &[headers, body, headers, body],
        ];
        for texts in cases {
            let blob = pack(texts);
            let back = unpack(&blob, texts.len()).unwrap();
            assert_eq!(back, texts, "round trip of {} bytes", blob.len());
        }
        let blob = pack(&[headers, body, headers, body]);
        assert!(
            blob.len() < 120,
            "headers and an inquiry pack small: {} bytes from {}",
            blob.len(),
            2 * (headers.len() + body.len())
        );
    }

    #[test]
    fn a_damaged_blob_is_corrupt_not_a_panic() {
        let blob = pack(&["a", "b"]);
        for damaged in [&[][..], &[2, 1, 1][..], &blob[..3], &[1, 0x80][..]] {
            assert!(
                matches!(unpack(damaged, 2), Err(StoreError::Corrupt(_))),
                "{damaged:?} is refused as corrupt"
            );
        }
    }

    #[test]
    fn the_format_1_dictionary_never_changes() {
        use sha2::Digest;
        assert_eq!(
            hex::encode(sha2::Sha256::digest(DICTIONARY.as_bytes())),
            "1ff5c711792a4e2a0712cc78bdf2ee024336905224011d1aa883a12c6dfabffa",
            "stored blobs of format 1 inflate only against this dictionary; a new one is a new format"
        );
    }
}
