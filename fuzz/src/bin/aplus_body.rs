//! AFL++ harness for [`linker_fuzz::aplus_body`]: `cargo afl fuzz -i fuzz/corpus/aplus_body -o <out> <binary>`.

fn main() {
    afl::fuzz!(|data: &[u8]| linker_fuzz::aplus_body(data));
}
