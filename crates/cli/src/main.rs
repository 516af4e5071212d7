//! linker: the command line.
fn main() {}
