//! Which thread runs the command: the main thread, when its stack holds the deepest document
//! `--max-depth` allows, else a thread of its own with [`crate::stream::STACK_BYTES`].
//!
//! Documents are parsed, compared and written recursively, so the stack a command needs grows
//! with the nesting it accepts. The main thread's stack may grow up to `RLIMIT_STACK` (often
//! 8 MiB), reserved address space like a thread's. Running there saves starting a thread, and at
//! the end waking a main thread that would only wait (Backstage 1.34 to 1.19 ms, README,
//! Performance); a limit too small for `--max-depth` (a deep `--max-depth`, a low `ulimit -s`)
//! gets the thread, so a deep document fails with its error or renders, never crashes.

/// Stack one level of nesting takes at most, with a margin: measured (README, Performance) at
/// 5.5 KiB in a release build and 25 KiB in a debug build, for the deepest-reaching shape found
/// (flow mappings `{a: {a: ...}}`, which only the full parser reads, in `render` and `diff`).
const PER_LEVEL: u64 = if cfg!(debug_assertions) {
    48 << 10
} else {
    12 << 10
};

/// Stack the command takes besides the nesting, with a margin (0.1 MiB measured in release).
const BASE: u64 = if cfg!(debug_assertions) {
    4 << 20
} else {
    1 << 20
};

/// True when the main thread's stack holds a command whose documents nest at most `max_depth`
/// levels.
pub fn main_thread_holds(max_depth: usize) -> bool {
    holds(max_depth, main_stack_limit())
}

/// The stack, in bytes, a command whose documents nest at most `max_depth` levels runs on.
pub fn needed(max_depth: usize) -> u64 {
    (max_depth as u64)
        .saturating_mul(PER_LEVEL)
        .saturating_add(BASE)
}

/// True when `max_depth` levels fit in a stack of `limit` bytes (`None`: no limit).
fn holds(max_depth: usize, limit: Option<u64>) -> bool {
    limit.is_none_or(|limit| needed(max_depth) <= limit)
}

/// How far the main thread's stack may grow: its soft `RLIMIT_STACK` (`None`: unlimited).
#[cfg(target_os = "linux")]
fn main_stack_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Stack).current
}

/// Elsewhere the limit is not asked: the command always gets a thread of its own.
#[cfg(not(target_os = "linux"))]
fn main_stack_limit() -> Option<u64> {
    Some(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_depth_fits_a_common_stack_only_in_a_release_build() {
        let fits = holds(256, Some(8 << 20));
        assert_eq!(fits, !cfg!(debug_assertions));
    }

    #[test]
    fn a_deep_limit_or_a_small_stack_gets_a_thread() {
        assert!(!holds(10_000, Some(8 << 20)));
        assert!(!holds(256, Some(1 << 20)));
        assert!(!holds(0, Some(0)));
        assert!(holds(10_000, Some(u64::MAX)));
        assert!(holds(10_000, None));
        assert!(holds(usize::MAX, None));
        assert!(!holds(usize::MAX, Some(u64::MAX - 1)));
    }

    #[test]
    fn the_need_grows_with_the_depth() {
        let limit = needed(256);
        assert!(holds(256, Some(limit)));
        assert!(!holds(257, Some(limit)));
    }
}
