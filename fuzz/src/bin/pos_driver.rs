//! AFL++ harness for [`linker_fuzz::pos_driver`]: `cargo afl fuzz -i fuzz/corpus/pos_driver -o <out> <binary>`.

fn main() {
    afl::fuzz!(|data: &[u8]| linker_fuzz::pos_driver(data));
}
