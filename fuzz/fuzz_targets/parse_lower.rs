//! Arbitrary text through the parser and the lowering, as `gauge prove FILE` reads a
//! file: errors are fine; a panic, a hang or a stack overflow is a bug.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut ws = gauge_fuzz::workspace();
    let _ = ws.load_file("fuzz.gauge", &text);
    // The reading that keeps a file's bad claims and decides the rest.
    let mut ws = gauge_fuzz::workspace();
    let _ = ws.load_file_keeping_claims("fuzz.gauge", &text);
    // The same text as one expression, as `gauge simplify TEXT` reads it; what lowers
    // is printed, which walks the whole result.
    let mut ws = gauge_fuzz::workspace();
    if let Ok(e) = ws.parse_expression(&text) {
        let _ = ws.print(e);
    }
});
