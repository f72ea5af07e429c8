//! Decoding what a backend stored: events through the upcaster (type name, schema version,
//! JSON payload) and snapshots. Any input is an event of the stated type or a `Corrupt`
//! error, never a panic; a decoded event re-encodes to a payload that decodes to itself.
//! Input: the type name, a newline, the schema version, a newline, the JSON.
#![no_main]

use aliprotect::backend::{DomainEvent, Snapshot, StoreError, upcast_event};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let mut parts = text.splitn(3, '\n');
    let (Some(type_name), Some(schema), Some(json)) = (parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let Ok(schema) = schema.trim().parse::<u32>() else {
        return;
    };
    match upcast_event(type_name, schema, json) {
        Ok(event) => {
            assert_eq!(event.type_name(), type_name);
            let again = serde_json::to_string(&event).expect("re-encodes");
            let back = upcast_event(type_name, DomainEvent::SCHEMA_VERSION, &again)
                .expect("its own encoding decodes");
            assert_eq!(back, event);
        }
        Err(StoreError::Corrupt { .. }) => {}
        Err(other) => panic!("not a Corrupt error: {other:?}"),
    }
    if let Ok(snapshot) = serde_json::from_str::<Snapshot>(json) {
        let again = serde_json::to_string(&snapshot).expect("re-encodes");
        let back: Snapshot = serde_json::from_str(&again).expect("its own encoding decodes");
        assert_eq!(back, snapshot);
    }
});
