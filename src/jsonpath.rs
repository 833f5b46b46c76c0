//! JSONPath (RFC 9535) over parsed documents, compiled once per overlay entry.
//!
//! Queries are parsed when the overlay is read, so a bad path is an overlay error before any
//! document is touched, and each document costs one evaluation. Edits are two-phase: collect
//! the normalised paths of the matches, then change each one through a mutable reference.

use jsonpath_rust::parser::model::JpQuery;
use jsonpath_rust::query::queryable::Queryable;
use serde_json::Value;

/// A parsed JSONPath query.
#[derive(Debug, Clone)]
pub struct Path {
    text: String,
    query: JpQuery,
}

impl Path {
    /// Parses a query; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let query = jsonpath_rust::parser::parse_json_path(text)
            .map_err(|e| format!("{text:?} is not a JSONPath (RFC 9535) query: {e}"))?;
        Ok(Path {
            text: text.to_string(),
            query,
        })
    }

    /// The query as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The normalised paths (`$['spec']['image']`) of every match, in document order.
    pub fn locate(&self, value: &Value) -> Result<Vec<String>, String> {
        let refs = jsonpath_rust::query::js_path_process(&self.query, value)
            .map_err(|e| format!("{}: {e}", self.text))?;
        Ok(refs.into_iter().map(|r| r.path).collect())
    }
}

/// The value at a normalised path that [`Path::locate`] returned.
pub fn at_mut<'v>(value: &'v mut Value, normalised: &str) -> Option<&'v mut Value> {
    value.reference_mut(normalised.to_string())
}

/// One step of a normalised path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A member name.
    Key(String),
    /// An array index.
    Index(usize),
}

/// The steps of a normalised path (`$['a'][0]` -> `a`, `0`); `None` if it is not one.
pub fn tokens(normalised: &str) -> Option<Vec<Token>> {
    let mut rest = normalised.strip_prefix('$')?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        rest = rest.strip_prefix('[')?;
        if let Some(quoted) = rest.strip_prefix('\'') {
            let mut key = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next()? {
                    (_, '\\') => key.push(chars.next()?.1),
                    (i, '\'') => break i,
                    (_, c) => key.push(c),
                }
            };
            rest = quoted[end + 1..].strip_prefix(']')?;
            out.push(Token::Key(key));
        } else {
            let close = rest.find(']')?;
            out.push(Token::Index(rest[..close].parse().ok()?));
            rest = &rest[close + 1..];
        }
    }
    Some(out)
}

/// Removes the value at a normalised path, keeping the order of the other keys. True when
/// something was removed.
pub fn remove_at(value: &mut Value, normalised: &str) -> bool {
    let Some(mut tokens) = tokens(normalised) else {
        return false;
    };
    let Some(last) = tokens.pop() else {
        return false;
    };
    let parent = tokens.iter().try_fold(value, |v, t| match t {
        Token::Key(k) => v.get_mut(k.as_str()),
        Token::Index(i) => v.get_mut(*i),
    });
    match (parent, last) {
        (Some(Value::Object(map)), Token::Key(k)) => map.shift_remove(&k).is_some(),
        (Some(Value::Array(items)), Token::Index(i)) if i < items.len() => {
            items.remove(i);
            true
        }
        _ => false,
    }
}

/// Splits a query whose last segment is a plain member name (`$.a.b`, `$.a['b']`) into the
/// parent query and the name, so that a missing member can be created.
pub fn split_last_member(query: &str) -> Option<(String, String)> {
    let q = query.trim_end();
    if let Some(inner) = q.strip_suffix("']").or_else(|| q.strip_suffix("\"]")) {
        let quote = if q.ends_with("']") { "['" } else { "[\"" };
        let open = inner.rfind(quote)?;
        let name = &inner[open + 2..];
        if name.contains(['\'', '"', '\\']) {
            return None;
        }
        return Some((inner[..open].to_string(), name.to_string()));
    }
    let dot = q.rfind('.')?;
    let name = &q[dot + 1..];
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    (plain && dot > 0).then(|| (q[..dot].to_string(), name.to_string()))
}

/// A normalised path in the dotted form people read (`spec.containers[0].image`).
pub fn readable(normalised: &str) -> String {
    let mut out = String::new();
    let body = normalised.strip_prefix('$').unwrap_or(normalised);
    for part in body.split_inclusive(']') {
        let inner = part.trim_start_matches('[').trim_end_matches(']');
        if let Some(key) = inner.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')) {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(key);
        } else {
            out.push('[');
            out.push_str(inner);
            out.push(']');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn locate_and_change() {
        let path = Path::parse("$.spec.template.spec.containers[?@.name=='app'].image").unwrap();
        let mut doc = json!({"spec": {"template": {"spec": {"containers": [{"name": "x", "image": "a"}, {"name": "app", "image": "b"}]}}}});
        let found = path.locate(&doc).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            readable(&found[0]),
            "spec.template.spec.containers[1].image"
        );
        *at_mut(&mut doc, &found[0]).unwrap() = json!("c");
        assert_eq!(
            doc["spec"]["template"]["spec"]["containers"][1]["image"],
            "c"
        );
    }

    #[test]
    fn tokens_and_removal_keep_order() {
        assert_eq!(
            tokens("$['a'][2]['b\\'c']"),
            Some(vec![
                Token::Key("a".into()),
                Token::Index(2),
                Token::Key("b'c".into())
            ])
        );
        let mut doc = json!({"a": 1, "b": 2, "c": 3, "l": [1, 2, 3]});
        assert!(remove_at(&mut doc, "$['a']"));
        assert!(remove_at(&mut doc, "$['l'][1]"));
        assert!(!remove_at(&mut doc, "$['zz']"));
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            r#"{"b":2,"c":3,"l":[1,3]}"#
        );
    }

    #[test]
    fn last_member_split() {
        assert_eq!(
            split_last_member("$.spec.x"),
            Some(("$.spec".into(), "x".into()))
        );
        assert_eq!(
            split_last_member("$.spec['a.b/c']"),
            Some(("$.spec".into(), "a.b/c".into()))
        );
        assert_eq!(
            split_last_member("$.spec.containers[?@.name=='a'].imagePullPolicy").map(|p| p.1),
            Some("imagePullPolicy".into())
        );
        assert_eq!(split_last_member("$.spec[0]"), None);
        assert_eq!(split_last_member("$"), None);
    }

    #[test]
    fn bad_query_is_an_error() {
        let err = Path::parse("$.spec[").unwrap_err();
        assert!(err.contains("is not a JSONPath"), "{err}");
    }
}
