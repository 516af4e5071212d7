//! `linker demo --listen ADDR --tls-self-signed` as a TSP runs it to show flows with a phone:
//! it serves HTTPS on every address, prints the certificate's fingerprint and the web wallet's
//! signed-in link, and the link as a QR code a phone's camera reads off the terminal.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The QR code printed in half blocks, as a dark terminal shows it: read back as text.
fn read_terminal_qr(lines: &[String]) -> Option<String> {
    let rows: Vec<Vec<char>> = lines.iter().map(|l| l.chars().collect()).collect();
    let (width, height, scale) = (rows.first()?.len(), rows.len() * 2, 6);
    let mut luma = Vec::with_capacity(width * height * scale * scale);
    for y in 0..height * scale {
        for x in 0..width * scale {
            let (column, row) = (x / scale, y / scale);
            let light = match rows[row / 2].get(column) {
                Some('█') => true,
                Some('▀') => row % 2 == 0,
                Some('▄') => row % 2 == 1,
                _ => false,
            };
            luma.push(if light { 255 } else { 0 });
        }
    }
    let size = |n: usize| u32::try_from(n * scale).ok();
    linker_scan::decode_luma(size(width)?, size(height)?, &luma)
        .ok()?
        .into_iter()
        .next()
        .map(|found| found.text)
}

#[test]
fn the_phone_demo_serves_https_to_the_network_and_prints_the_wallet_link_as_a_qr_code() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("linker"))
        .args([
            "demo",
            "--listen",
            "0.0.0.0:0",
            "--tls-self-signed",
            "--data",
        ])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut printed = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("Press Ctrl-C");
        printed.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let text = printed.join("\n");
    let value = |label: &str| {
        printed
            .iter()
            .find_map(|line| line.trim_start().strip_prefix(label))
            .map(|rest| rest.trim().to_owned())
            .unwrap_or_else(|| panic!("no {label:?} line in:\n{text}"))
    };
    let link = value("web wallet:");
    assert!(
        link.starts_with("https://") && link.contains("/app/open/"),
        "the wallet's link is HTTPS, at an address phones reach: {link}\n{text}"
    );
    assert!(
        !link.contains("0.0.0.0"),
        "not the unspecified address: {link}"
    );
    let fingerprint = value("fingerprint:");
    assert!(fingerprint.starts_with("SHA-256 "), "{fingerprint}");
    assert_eq!(
        fingerprint
            .trim_start_matches("SHA-256 ")
            .split(':')
            .count(),
        32,
        "{fingerprint}"
    );
    assert!(
        data.path().join("hub/tls/self-signed-cert.pem").is_file(),
        "the certificate is kept in the data folder"
    );
    let qr: Vec<String> = printed
        .iter()
        .filter(|line| !line.is_empty() && line.chars().all(|c| " █▀▄".contains(c)))
        .cloned()
        .collect();
    assert_eq!(
        read_terminal_qr(&qr).as_deref(),
        Some(link.as_str()),
        "the QR code on the terminal is the link:\n{text}"
    );
}
