//! linker-scan: render QR and Code 128 images of payment and order codes, and decode codes from images.
