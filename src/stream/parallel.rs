//! Spreading per-document work (parsing, checking, writing) over the machine's cores.
//!
//! Documents are independent, so the work is cut into contiguous runs of documents and the
//! results are put back in document order: the outcome is the same as a loop, whatever the
//! number of threads. [`map`] gives each thread one run, balanced by bytes; [`blocks`] cuts many
//! small runs that threads take one after another, so that a stream whose costly documents
//! cluster (Helm sorts workloads last) still keeps every core busy. Small inputs (a typical
//! release) stay on the calling thread, where starting threads would cost more than it saves.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Stack of each worker thread: documents are parsed recursively, and a worker must hold the
/// deepest nesting `--max-depth` allows, as the `overhelm` binary's main thread does (see
/// `main.rs`). Reserved address space; only the pages a deep document uses cost memory.
const STACK_BYTES: usize = 512 << 20;

/// Below this much work in total (bytes of text), everything runs on the calling thread.
const MIN_PARALLEL_BYTES: usize = 256 << 10;

/// The number of cores this process may use, asked once (the standard library reads the
/// cgroup's CPU quota from `/proc` and `/sys` every time it is asked).
pub fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
}

/// How many threads to use for `total` bytes of work.
fn threads_for(total: usize) -> usize {
    if total < MIN_PARALLEL_BYTES {
        return 1;
    }
    cores().min(total / (MIN_PARALLEL_BYTES / 2)).clamp(1, 16)
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
    in_order(batches, threads, |batch| {
        batch.into_iter().map(f).collect::<Vec<R>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// About this many bytes of text per block of [`blocks`]: small enough that two threads finish
/// together, large enough that taking a block costs nothing next to its work.
const BLOCK_BYTES: usize = 128 << 10;

/// A contiguous run of items and the position of its first item.
pub struct Block<T> {
    /// Position of the first item among all items.
    pub start: usize,
    /// The items, in order.
    pub items: Vec<T>,
}

/// Cuts `items` into blocks of about [`BLOCK_BYTES`] by `weight` and gives each to `f`, on all
/// cores (threads take the next block as they finish one); results in the order of the blocks.
pub fn blocks<T, R, F, W>(items: Vec<T>, weight: W, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(Block<T>) -> R + Sync,
    W: Fn(&T) -> usize,
{
    let weights: Vec<usize> = items.iter().map(weight).collect();
    let threads = threads_for(weights.iter().sum());
    if threads <= 1 || items.len() <= 1 {
        return vec![f(Block { start: 0, items })];
    }
    let mut todo = Vec::new();
    let mut rest = items.into_iter();
    let (mut start, mut len, mut acc) = (0, 0, 0);
    for (i, &w) in weights.iter().enumerate() {
        len += 1;
        acc += w;
        if acc >= BLOCK_BYTES || i + 1 == weights.len() {
            let items: Vec<T> = rest.by_ref().take(len).collect();
            todo.push(Block { start, items });
            start += len;
            (len, acc) = (0, 0);
        }
    }
    in_order(todo, threads, f)
}

/// Runs `f` on every job, on the calling thread and up to `threads - 1` workers, each taking
/// the next job as it finishes one; results in the order of `jobs`. A worker that cannot be
/// started leaves its share to the others.
fn in_order<T, R, F>(jobs: Vec<T>, threads: usize, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    let jobs: Vec<Mutex<Option<T>>> = jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = jobs.get(i) else {
                return done;
            };
            // Each job is taken once (by the thread that drew its number), so the lock is never
            // contended; a poisoned lock still holds the job.
            let job = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(job) = job {
                done.push((i, f(job)));
            }
        }
    };
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(STACK_BYTES)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut all = work();
        for worker in workers {
            match worker.join() {
                Ok(done) => all.extend(done),
                // A panic in `f` is a bug; carry it to the caller as a panic would travel.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
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
    fn blocks_cover_every_item_once_in_order() {
        for n in [0usize, 1, 2, 7, 5000] {
            let items: Vec<usize> = (0..n).collect();
            let out = blocks(items, |_| 1 << 10, |b| (b.start, b.items));
            let mut next = 0;
            for (start, items) in out {
                assert_eq!(start, next);
                assert_eq!(items, (start..start + items.len()).collect::<Vec<_>>());
                next += items.len();
            }
            assert_eq!(next, n);
        }
    }

    #[test]
    fn map_keeps_order_across_threads() {
        let items: Vec<usize> = (0..5000).collect();
        let out = map(items, |_| 1 << 10, |i| i * 2);
        assert_eq!(out, (0..5000).map(|i| i * 2).collect::<Vec<_>>());
    }
}
