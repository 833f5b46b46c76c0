//! Property tests over generated manifest streams: rendering twice equals rendering once, no
//! document is ever lost or reordered, documents no step changes come out byte-for-byte, and the
//! same input always gives the same bytes.

use overhelm::overlay::Overlay;
use overhelm::render::render;
use overhelm::steps::Context;
use overhelm::stream::{Scan, scan, split};
use overhelm::yaml::Limits;
use proptest::prelude::*;

const OVERLAY: &str = "apiVersion: overhelm/v1\nkind: Overlay\nregistry:\n  mirrors:\n    ghcr.io: harbor.example/ghcr-proxy\n    docker.io: harbor.example/dockerhub-proxy\n    registry.local:5000: harbor.example/local-proxy\n";

fn image() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("nginx".to_string()),
        Just("nginx:1.25".to_string()),
        Just("docker.io/bitnamilegacy/postgresql:15.4.0-debian-11-r10".to_string()),
        Just("ghcr.io/backstage/backstage:latest".to_string()),
        Just("index.docker.io/library/redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".to_string()),
        Just("registry.local:5000/team/app:1.0".to_string()),
        Just("quay.io/prometheus/node-exporter:v1.8.0".to_string()),
        Just("harbor.example/ghcr-proxy/backstage/backstage:1".to_string()),
        Just("ghcr.io.evil.com/x/y:1".to_string()),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"on\"".to_string()),
        Just("\"yes\"".to_string()),
        Just("'0755'".to_string()),
        Just("plain".to_string()),
        Just("|\n    multi\n    ---\n    line\n".to_string()),
        "[a-z]{1,8}".prop_map(|s| format!("\"{s}\"")),
    ]
}

fn document(i: usize) -> BoxedStrategy<String> {
    prop_oneof![
        (image(), image(), text()).prop_map(move |(a, b, t)| format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d{i}\n  annotations: {{note: {}}}\nspec:\n  template:\n    spec:\n      initContainers:\n        - name: init\n          image: {a}\n      containers:\n        - name: app   # a comment\n          image: \"{b}\"\n",
            t.lines().next().unwrap_or("x").trim_start_matches('|').trim().replace('"', "'").replace("'", "")
        )),
        text().prop_map(move |t| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  key: {t}\n")),
        Just(format!("apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}}}\nspec:\n  ports: [{{port: 80}}]\n")),
        Just("# only a comment\n".to_string()),
        Just(String::new()),
        image().prop_map(move |a| format!(
            "{{\"apiVersion\": \"batch/v1\", \"kind\": \"CronJob\", \"metadata\": {{\"name\": \"j{i}\"}}, \"spec\": {{\"jobTemplate\": {{\"spec\": {{\"template\": {{\"spec\": {{\"containers\": [{{\"name\": \"c\", \"image\": \"{a}\"}}]}}}}}}}}}}}}\n"
        )),
        image().prop_map(move |a| format!(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {{name: p{i}}}\n  spec:\n    containers: [{{name: c, image: '{a}'}}]\n"
        )),
    ]
    .boxed()
}

fn stream() -> impl Strategy<Value = (String, bool)> {
    (
        prop::collection::vec(0..1usize, 0..8),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(|(slots, helm4, crlf)| {
            let docs: Vec<BoxedStrategy<String>> = (0..slots.len()).map(document).collect();
            docs.prop_map(move |docs| {
                let mut out = String::new();
                for (i, d) in docs.iter().enumerate() {
                    if helm4 {
                        if i > 0 {
                            out.push_str("---\n");
                        }
                    } else {
                        out.push_str(&format!("---\n# Source: chart/templates/t{i}.yaml\n"));
                    }
                    out.push_str(d);
                }
                if crlf {
                    out = out.replace('\n', "\r\n");
                }
                (out, helm4)
            })
        })
}

fn is_changeable(body: &str) -> bool {
    !matches!(
        scan(body),
        Scan::Kind(Some("ConfigMap" | "Service")) | Scan::Empty
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn render_is_idempotent_deterministic_and_loses_nothing((input, _helm4) in stream()) {
        let overlay = Overlay::parse(OVERLAY, "test").unwrap();
        let limits = Limits::default();
        let ctx = Context::default();
        let once = render(&input, &overlay, &ctx, &limits).unwrap().output;
        let again = render(&input, &overlay, &ctx, &limits).unwrap().output;
        prop_assert_eq!(&once, &again, "same input, same bytes");
        let twice = render(&once, &overlay, &ctx, &limits).unwrap().output;
        prop_assert_eq!(&twice, &once, "render twice == render once");

        let input_docs = split(&input);
        let output_docs = split(&once);
        if input_docs.is_empty() || input.trim().is_empty() {
            prop_assert_eq!(once.as_str(), "---\n");
            return Ok(());
        }
        prop_assert_eq!(input_docs.len(), output_docs.len(), "no document lost or added");
        for (a, b) in input_docs.iter().zip(&output_docs) {
            if !is_changeable(a.body) {
                prop_assert_eq!(a.body, b.body, "untouched documents are byte-identical");
            }
            // Order kept: the same kind at the same position.
            let kind_of = |body: &str| overhelm::yaml::parse(body, &limits).unwrap().first().and_then(|v| v.get("kind").cloned());
            prop_assert_eq!(kind_of(a.body), kind_of(b.body));
        }
    }
}
