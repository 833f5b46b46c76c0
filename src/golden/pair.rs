//! Pairing the documents of two streams: which old document became which new one.
//!
//! Documents with identical bytes pair first (most of a large stream, and no parse is needed
//! for them; [`by_bytes`] alone, so that a caller can parse the rest on all cores first). The rest are parsed and paired by apiVersion/kind/namespace/name, duplicates of
//! one id in stream order; what is left is added or removed. Lookups go through hash maps and
//! results are ordered by stream position, so the work is linear and the output deterministic.

use std::collections::{HashMap, VecDeque};

use serde::Serialize;
use serde_json::Value;

use crate::error::Result;
use crate::stream::Document;

/// A resource's identity: what Kubernetes (and Helm) key an object by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Id {
    /// `apiVersion` (empty when missing).
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.namespace` (empty when missing).
    pub namespace: String,
    /// `metadata.name` (empty when missing).
    pub name: String,
}

impl Id {
    /// `apps/v1 Deployment backstage/backstage` (`v1 ConfigMap name` with no namespace).
    pub fn label(&self) -> String {
        let api = if self.api_version.is_empty() {
            "<no apiVersion>"
        } else {
            &self.api_version
        };
        let name = if self.name.is_empty() {
            "<no name>"
        } else {
            &self.name
        };
        if self.namespace.is_empty() {
            format!("{api} {} {name}", self.kind)
        } else {
            format!("{api} {} {}/{name}", self.kind, self.namespace)
        }
    }
}

/// What a document is paired by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// An object with a kind.
    Object(Id),
    /// An empty or comment-only document.
    Empty,
    /// Anything else (no kind, not a mapping).
    Other,
}

/// The key of a parsed document.
pub fn key_of(value: Option<&Value>) -> Key {
    let Some(value) = value else {
        return Key::Empty;
    };
    let Some(kind) = value.get("kind").and_then(Value::as_str) else {
        return Key::Other;
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
    let meta = value.get("metadata");
    Key::Object(Id {
        api_version: text(value.get("apiVersion")),
        kind: kind.to_string(),
        namespace: text(meta.and_then(|m| m.get("namespace"))),
        name: text(meta.and_then(|m| m.get("name"))),
    })
}

/// Which documents (0-based positions) pair, and which are left over.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pairing {
    /// `(old, new)` pairs whose bytes differ, in new-stream order.
    pub changed: Vec<(usize, usize)>,
    /// New documents with no old counterpart, in order.
    pub added: Vec<usize>,
    /// Old documents with no new counterpart, in order.
    pub removed: Vec<usize>,
    /// True when paired documents come in a different order.
    pub reordered: bool,
}

/// Pairs the documents of two streams.
#[cfg(test)]
pub fn pair(old: &[Document<'_>], new: &[Document<'_>]) -> Result<Pairing> {
    pair_rest(old, new, by_bytes(old, new))
}

/// The documents paired by their bytes: each new document's old partner, and which old
/// documents are taken. What is left is paired by [`pair_rest`] (and must be parsed for it).
#[derive(Debug)]
pub struct ByBytes {
    /// The old partner of each new document.
    pub partner: Vec<Option<usize>>,
    /// The old documents with a partner.
    pub old_used: Vec<bool>,
}

/// Pairs the documents whose bytes are identical, duplicates in stream order.
pub fn by_bytes(old: &[Document<'_>], new: &[Document<'_>]) -> ByBytes {
    let mut partner: Vec<Option<usize>> = vec![None; new.len()];
    let mut old_used = vec![false; old.len()];
    let mut by_bytes: HashMap<&str, VecDeque<usize>> = HashMap::with_capacity(old.len());
    for (i, doc) in old.iter().enumerate() {
        by_bytes.entry(doc.raw()).or_default().push_back(i);
    }
    for (j, doc) in new.iter().enumerate() {
        if let Some(i) = by_bytes.get_mut(doc.raw()).and_then(VecDeque::pop_front) {
            partner[j] = Some(i);
            old_used[i] = true;
        }
    }
    ByBytes { partner, old_used }
}

/// Pairs what [`by_bytes`] left by resource id, and lists what is added or removed.
pub fn pair_rest(old: &[Document<'_>], new: &[Document<'_>], bytes: ByBytes) -> Result<Pairing> {
    let ByBytes {
        mut partner,
        mut old_used,
    } = bytes;
    let mut by_key: HashMap<Key, VecDeque<usize>> = HashMap::new();
    for (i, doc) in old.iter().enumerate().filter(|(i, _)| !old_used[*i]) {
        by_key.entry(key_of(doc.value()?)).or_default().push_back(i);
    }
    let mut pairing = Pairing::default();
    for (j, doc) in new.iter().enumerate() {
        if partner[j].is_some() {
            continue;
        }
        match by_key
            .get_mut(&key_of(doc.value()?))
            .and_then(VecDeque::pop_front)
        {
            Some(i) => {
                partner[j] = Some(i);
                old_used[i] = true;
                pairing.changed.push((i, j));
            }
            None => pairing.added.push(j),
        }
    }
    pairing.removed = (0..old.len()).filter(|&i| !old_used[i]).collect();
    let order: Vec<usize> = partner.iter().flatten().copied().collect();
    pairing.reordered = order.windows(2).any(|w| w[0] > w[1]);
    Ok(pairing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::Stream;
    use crate::yaml::Limits;

    fn run(old: &str, new: &str) -> Pairing {
        let limits = Limits::default();
        let (a, b) = (Stream::split(old, &limits), Stream::split(new, &limits));
        pair(a.docs(), b.docs()).unwrap()
    }

    #[test]
    fn identical_documents_pair_in_any_order() {
        let p = run("kind: A\n---\nkind: B\n", "kind: B\n---\nkind: A\n");
        assert_eq!(
            p,
            Pairing {
                reordered: true,
                ..Pairing::default()
            }
        );
    }

    #[test]
    fn duplicates_pair_in_order_and_leftovers_are_added_or_removed() {
        let old = "kind: A\nmetadata: {name: x}\nv: 1\n---\nkind: A\nmetadata: {name: x}\nv: 2\n---\nkind: C\n";
        let new = "kind: A\nmetadata: {name: x}\nv: 3\n---\nkind: A\nmetadata: {name: x}\nv: 4\n---\nkind: D\n";
        let p = run(old, new);
        assert_eq!(p.changed, [(0, 0), (1, 1)]);
        assert_eq!((p.added, p.removed, p.reordered), (vec![2], vec![2], false));
    }
}
