//! Reading a code from the screen: a POS window and a wallet window on one desktop can take each
//! other's codes the way a scanner would. The screen is captured with the desktop's own tool
//! (ImageMagick's `import` on X11, `grim` on Wayland) and decoded with linker-scan.

use std::process::{Command, Stdio};

/// Why the screen could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScreenError {
    /// Neither `DISPLAY` nor `WAYLAND_DISPLAY` is set.
    #[error("there is no desktop to capture (neither DISPLAY nor WAYLAND_DISPLAY is set)")]
    NoDisplay,
    /// The capture tool is not installed.
    #[error("cannot capture the screen: {tool} is not installed ({hint})")]
    NoTool {
        /// The program that was looked for.
        tool: &'static str,
        /// How to get it.
        hint: &'static str,
    },
    /// The tool ran but gave no picture.
    #[error("the screen capture failed: {0}")]
    Failed(String),
    /// The picture holds no code.
    #[error("no QR code or barcode is visible on the screen")]
    NoCode,
}

/// Captures the whole screen as PNG bytes (blocking: call it off the async threads).
pub fn capture() -> Result<Vec<u8>, ScreenError> {
    let wayland = std::env::var_os("WAYLAND_DISPLAY").is_some_and(|v| !v.is_empty());
    let x11 = std::env::var_os("DISPLAY").is_some_and(|v| !v.is_empty());
    let (tool, args, hint): (&'static str, &[&str], &'static str) = if x11 {
        (
            "import",
            &["-window", "root", "png:-"],
            "apt-get install imagemagick",
        )
    } else if wayland {
        ("grim", &["-t", "png", "-"], "apt-get install grim")
    } else {
        return Err(ScreenError::NoDisplay);
    };
    let output = Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => ScreenError::NoTool { tool, hint },
            _ => ScreenError::Failed(format!("{tool}: {error}")),
        })?;
    if !output.status.success() || output.stdout.is_empty() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(ScreenError::Failed(format!(
            "{tool} exited with {}: {}",
            output.status,
            stderr.trim()
        )));
    }
    Ok(output.stdout)
}

/// Every code visible on the screen, in the decoder's order (blocking).
pub fn codes_on_screen() -> Result<Vec<String>, ScreenError> {
    let png = capture()?;
    let codes = linker_scan::decode(&png)
        .map_err(|error| ScreenError::Failed(format!("the capture is unreadable: {error}")))?;
    let mut texts: Vec<String> = Vec::new();
    for code in codes {
        let text = code.text.trim().to_owned();
        if !text.is_empty() && !texts.contains(&text) {
            texts.push(text);
        }
    }
    if texts.is_empty() {
        return Err(ScreenError::NoCode);
    }
    Ok(texts)
}

/// The first payment code (a string of digits) among `codes`.
pub fn payment_code_among(codes: &[String]) -> Option<&str> {
    codes
        .iter()
        .map(String::as_str)
        .find(|text| text.len() >= 10 && text.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_code_is_picked_over_other_codes() {
        let codes = vec![
            "http://127.0.0.1:7070/entry".to_owned(),
            "281999123456789012".to_owned(),
        ];
        assert_eq!(payment_code_among(&codes), Some("281999123456789012"));
        assert_eq!(
            payment_code_among(&codes[..1]),
            None,
            "a URL is no payment code"
        );
    }
}
