//! Spreading per-document work (parsing, checking, writing) over the machine's cores.
//!
//! Documents are independent, so the work is cut into one contiguous run of documents per
//! thread, balanced by bytes, and the results are put back in document order: the outcome is
//! the same as a loop, whatever the number of threads. Small inputs (a typical release) stay on
//! the calling thread, where starting threads would cost more than it saves.

use std::num::NonZeroUsize;

/// Below this much work in total (bytes of text), everything runs on the calling thread.
const MIN_PARALLEL_BYTES: usize = 256 << 10;

/// How many threads to use for `total` bytes of work.
fn threads_for(total: usize) -> usize {
    if total < MIN_PARALLEL_BYTES {
        return 1;
    }
    std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(total / (MIN_PARALLEL_BYTES / 2))
        .clamp(1, 16)
}

/// Cuts `weights` into at most `parts` contiguous runs of about equal weight; returns the
/// length of each run.
fn runs(weights: &[usize], parts: usize) -> Vec<usize> {
    let total: usize = weights.iter().sum();
    let mut lens = Vec::with_capacity(parts);
    let (mut len, mut acc, mut done) = (0, 0, 0);
    for &w in weights {
        len += 1;
        acc += w;
        // Close the run once it reaches its share of what is left.
        let share = (total - done).div_ceil(parts - lens.len());
        if acc >= share && lens.len() + 1 < parts {
            lens.push(len);
            done += acc;
            (len, acc) = (0, 0);
        }
    }
    if len > 0 {
        lens.push(len);
    }
    lens
}

/// `items.into_iter().map(f)`, spread over threads by `weight`; results in the order of `items`.
pub fn map<T, R, F, W>(items: Vec<T>, weight: W, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
    W: Fn(&T) -> usize,
{
    let weights: Vec<usize> = items.iter().map(weight).collect();
    let threads = threads_for(weights.iter().sum());
    if threads <= 1 || items.len() <= 1 {
        return items.into_iter().map(f).collect();
    }
    let mut rest = items.into_iter();
    let batches: Vec<Vec<T>> = runs(&weights, threads)
        .into_iter()
        .map(|len| rest.by_ref().take(len).collect())
        .collect();
    let f = &f;
    std::thread::scope(|scope| {
        let mut batches = batches.into_iter();
        // The first batch runs here, the others on their own threads.
        let first = batches.next().unwrap_or_default();
        let handles: Vec<_> = batches
            .map(|batch| scope.spawn(move || batch.into_iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut out: Vec<R> = first.into_iter().map(f).collect();
        for handle in handles {
            match handle.join() {
                Ok(results) => out.extend(results),
                // A panic in `f` is a bug; carry it to the caller as a panic would travel.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cover_every_item_once() {
        for (weights, parts) in [
            (vec![1, 1, 1, 1], 2),
            (vec![100, 1, 1, 1], 2),
            (vec![1, 1, 1, 100], 2),
            (vec![5; 10], 3),
            (vec![0; 4], 2),
            (vec![7], 4),
        ] {
            let lens = runs(&weights, parts);
            assert_eq!(lens.iter().sum::<usize>(), weights.len(), "{weights:?}");
            assert!(
                lens.len() <= parts && lens.iter().all(|&l| l > 0),
                "{lens:?}"
            );
        }
        assert_eq!(runs(&[5; 10], 2), vec![5, 5]);
    }

    #[test]
    fn map_keeps_order_across_threads() {
        let items: Vec<usize> = (0..5000).collect();
        let out = map(items, |_| 1 << 10, |i| i * 2);
        assert_eq!(out, (0..5000).map(|i| i * 2).collect::<Vec<_>>());
    }
}
