//! The stream splitter, the cheap kind scan and the YAML parser and writer, on arbitrary bytes.
//!
//! Invariants: nothing panics; the chunks concatenate to the input; an untouched stream is written
//! back byte for byte (an empty one as `---`); whenever the kind scan answers, a successful parse
//! agrees with it; every value that parses is written as YAML that parses back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use overhelm::stream::{Scan, Stream, scan, split};
use overhelm::yaml::{self, Limits};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let joined: String = split(input)
        .iter()
        .map(|c| format!("{}{}", c.sep, c.body))
        .collect();
    assert_eq!(joined, input, "chunks must concatenate to the input");

    let limits = Limits::default();
    let stream = Stream::split(input, &limits);
    let _ = stream.validate();
    let written = stream.write().expect("an untouched stream is written");
    let body = input.strip_prefix('\u{feff}').unwrap_or(input);
    if written != "---\n" || !body.trim().is_empty() {
        assert_eq!(written, body, "an untouched stream comes out as it came");
    }

    for chunk in split(body) {
        let answer = scan(chunk.body);
        let Ok(docs) = yaml::parse(chunk.body, &limits) else {
            continue;
        };
        match answer {
            Scan::Empty => assert!(docs.first().is_none_or(Value::is_null), "{:?}", chunk.body),
            Scan::Kind(kind) => {
                assert_eq!(docs.len(), 1, "{:?}", chunk.body);
                assert!(docs[0].is_object(), "{:?}", chunk.body);
                assert_eq!(
                    docs[0].get("kind").and_then(Value::as_str),
                    kind,
                    "scan and parse disagree on {:?}",
                    chunk.body
                );
            }
            Scan::Unsure => {}
        }
        // A null document is written as `null`, which the parser reads as no document at all
        // (as it reads `~`); only content is round-tripped.
        for doc in docs.iter().filter(|d| !d.is_null()) {
            let text = yaml::to_string(doc).expect("a parsed value is written");
            let back = yaml::parse(&text, &limits).expect("written YAML parses");
            assert_eq!(back.len(), 1, "{text:?}");
            assert_eq!(&back[0], doc, "round trip of {:?} through {text:?}", chunk.body);
        }
    }
});
