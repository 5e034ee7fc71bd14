//! An Event Hub message of Entra diagnostic logs (`{"records": [...]}`), its records, and the
//! time forms of their envelopes. Every record is read or rejected, never lost.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oort_stream::{parse_time, read_message};

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = read_message(data) {
        let records = message.records.len() + message.rejected.len();
        for record in &message.records {
            let _ = record.category();
        }
        for rejected in &message.rejected {
            assert!(rejected.index < records, "a rejected record past the end");
        }
    }
    if data.len() <= 128 {
        let _ = parse_time(&String::from_utf8_lossy(data));
    }
});
