//! Name grammars shared across the crate.

/// An RFC 1123 label (namespaces, container names, each part of a DNS name): 1-63 characters
/// of `[a-z0-9-]`, alphanumeric at both ends.
pub fn is_dns_label(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// The name part of a Kubernetes qualified name (label and annotation keys), which Backstage
/// also uses for entity names: 1-63 characters of `[A-Za-z0-9-_.]`, alphanumeric at both ends.
pub fn is_qualified_name_part(name: &str) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    (1..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && alnum(name.chars().next())
        && alnum(name.chars().last())
}
