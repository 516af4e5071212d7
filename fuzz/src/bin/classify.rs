//! AFL++ harness for [`linker_fuzz::classify`]: `cargo afl fuzz -i fuzz/corpus/classify -o <out> <binary>`.

fn main() {
    afl::fuzz!(|data: &[u8]| linker_fuzz::classify(data));
}
