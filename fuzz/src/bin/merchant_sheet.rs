//! AFL++ harness for [`linker_fuzz::merchant_sheet`]: `cargo afl fuzz -i fuzz/corpus/merchant_sheet -o <out> <binary>`.

fn main() {
    afl::fuzz!(|data: &[u8]| linker_fuzz::merchant_sheet(data));
}
