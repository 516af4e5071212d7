//! AFL++ harness for [`linker_fuzz::signature`]: `cargo afl fuzz -i fuzz/corpus/signature -o <out> <binary>`.

fn main() {
    afl::fuzz!(|data: &[u8]| linker_fuzz::signature(data));
}
