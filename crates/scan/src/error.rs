//! The one error type of this crate.

/// Everything that can go wrong when rendering or decoding a code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScanError {
    /// Rendering was asked for an empty text.
    #[error("nothing to encode: the text is empty")]
    EmptyText,
    /// A payment code must be digits only.
    #[error("a payment code is digits only; {character:?} at position {position} is not a digit")]
    NotDigits {
        /// The offending character.
        character: char,
        /// Its position (in characters, from 0).
        position: usize,
    },
    /// Code 128 as rendered here carries printable ASCII only.
    #[error(
        "a Code 128 barcode carries printable ASCII only; {character:?} at position {position} is not"
    )]
    NotBarcodeText {
        /// The offending character.
        character: char,
        /// Its position (in characters, from 0).
        position: usize,
    },
    /// The text is longer than a barcode scanner reliably reads.
    #[error("{length} characters is too long for a Code 128 barcode (at most {max})")]
    TooLongForBarcode {
        /// Length of the text, in characters.
        length: usize,
        /// The largest length accepted.
        max: usize,
    },
    /// The Code 128 encoder refused the text.
    #[error("Code 128 encoding failed: {0}")]
    BarcodeEncoding(String),
    /// The text does not fit in a QR code at the chosen error correction.
    #[error("the text does not fit in a QR code: {0}")]
    TooLongForQr(String),
    /// A render option is out of its accepted range.
    #[error("invalid render option: {0}")]
    BadOption(String),
    /// The bytes are not a PNG or JPEG image this crate can read.
    #[error("the image could not be read: {0}")]
    UnreadableImage(String),
    /// A raw pixel buffer does not match the dimensions given with it.
    #[error("a {width}x{height} frame needs {expected} bytes of pixels, the buffer has {actual}")]
    FrameSize {
        /// Declared width in pixels.
        width: u32,
        /// Declared height in pixels.
        height: u32,
        /// Bytes the declared dimensions need.
        expected: u64,
        /// Bytes actually given.
        actual: usize,
    },
    /// Encoding the PNG failed.
    #[error("PNG encoding failed: {0}")]
    PngEncoding(String),
    /// A decoder library failed unexpectedly (a panic inside it, caught here).
    #[error("the decoder failed unexpectedly: {0}")]
    DecoderFault(String),
}

impl ScanError {
    /// A short stable code that front ends branch on (never the message).
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmptyText => "empty_text",
            Self::NotDigits { .. } => "not_digits",
            Self::NotBarcodeText { .. } => "not_barcode_text",
            Self::TooLongForBarcode { .. } => "too_long_for_barcode",
            Self::BarcodeEncoding(_) => "barcode_encoding",
            Self::TooLongForQr(_) => "too_long_for_qr",
            Self::BadOption(_) => "bad_option",
            Self::UnreadableImage(_) => "unreadable_image",
            Self::FrameSize { .. } => "frame_size",
            Self::PngEncoding(_) => "png_encoding",
            Self::DecoderFault(_) => "decoder_fault",
        }
    }
}
