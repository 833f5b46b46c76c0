//! Spreading per-document work (parsing, checking, writing) over the machine's cores.
//!
//! Documents are independent, so the work is cut into contiguous blocks of documents and the
//! results are put back in document order: the outcome is the same as a loop, whatever the
//! number of threads. Threads take the blocks one after another as they come ([`fed`]: while
//! the input is still being read; [`map`]: a list at hand), so that a stream whose costly
//! documents cluster (Helm sorts workloads last) still keeps every core busy. Once every block
//! is in, a thread takes at most its share of what is left, so that the threads finish
//! together. Small inputs (a typical release) stay on the calling thread, where starting
//! threads would cost more than it saves.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::num::NonZeroUsize;
use std::panic::AssertUnwindSafe;
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Stack of every thread that parses, but a main thread whose stack was found large enough
/// ([`crate::stack`]): documents (and overlays) are parsed recursively, and a thread must hold
/// the deepest nesting `--max-depth` allows without crashing, even in a debug build (the main
/// thread's stack is often 8 MiB). Reserved address space; only the pages a deep document uses
/// cost memory.
pub const STACK_BYTES: usize = 512 << 20;

/// Below this much work in total (bytes of text), everything runs on the calling thread.
const MIN_PARALLEL_BYTES: usize = 256 << 10;

/// The number of cores this process may use, asked once (the standard library reads the
/// cgroup's CPU quota from `/proc` and `/sys` every time it is asked).
pub fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
}

/// Before a parallel pass over an input of `len` bytes known from the start (a file on stdin),
/// when that is enough to spread: starts a thread at once that learns the core count. Measured
/// on two virtual cores whose scheduler packs new threads onto the busy core (README,
/// Performance, eighth and ninth rounds): that thread waits on the main thread's core and runs
/// only a millisecond or two later, but with it there, the pass's worker, started as soon as
/// the input is opened ([`fed`]), goes to the other core; without it, that worker at times
/// shared the main thread's core for 2-3 ms. A pipe gets no such thread: its writer needs a core
/// too, and it was slower.
pub fn warm_up(len: u64) {
    if len >= MIN_PARALLEL_BYTES as u64 {
        let _ = std::thread::Builder::new().spawn(|| {
            cores();
        });
    }
}

/// `items.into_iter().map(f)`, spread over threads in blocks by `weight` ([`fed`]); results in
/// the order of `items`.
pub fn map<T, R, F, W>(items: Vec<T>, weight: W, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
    W: Fn(&T) -> usize,
{
    let give_all = |give: &mut dyn FnMut(T, usize)| {
        for item in items {
            let w = weight(&item);
            give(item, w);
        }
        Ok::<(), Infallible>(())
    };
    let blocks = fed(0, give_all, |block| {
        block.items.into_iter().map(&f).collect::<Vec<R>>()
    });
    blocks
        .unwrap_or_else(|never| match never {})
        .into_iter()
        .flatten()
        .collect()
}

/// How long a worker started with [`fed`] waits awake for the first block; it comes in about
/// 0.3 ms (the first piece read and cut).
const FIRST_BLOCK_SPIN: Duration = Duration::from_millis(1);

/// About this many bytes of text per block of [`fed`]: small enough that two threads finish
/// together, large enough that taking a block costs nothing next to its work.
const BLOCK_BYTES: usize = 128 << 10;

/// A contiguous run of items and the position of its first item.
pub struct Block<T> {
    /// Position of the first item among all items.
    pub start: usize,
    /// The items, in order.
    pub items: Vec<T>,
}

/// Runs `f` on blocks of the items `produce` gives, while it is still giving them: each item
/// comes with its weight (bytes of text), a block closes at `BLOCK_BYTES`, and once
/// `MIN_PARALLEL_BYTES` have come, workers on the other cores take the blocks as they close;
/// the calling thread produces, then works too. Once every block is in, a block taken may be
/// only its first part, the rest taken as a block of its own (`QueueState::take`): one result
/// per block worked on, in the order of the items. So work on the first documents of an input
/// overlaps reading the rest, and a small input stays on the calling thread. When `produce` is
/// known to give at least `MIN_PARALLEL_BYTES` (`expected`, a file's size; 0 when unknown), the
/// workers start at once and wait for the first block awake (`Queue::await_first`). An error of
/// `produce` drops the blocks not started and is returned.
pub fn fed<T, R, E, P, F>(expected: usize, produce: P, f: F) -> Result<Vec<R>, E>
where
    T: Send,
    R: Send,
    P: FnOnce(&mut dyn FnMut(T, usize)) -> Result<(), E>,
    F: Fn(Block<T>) -> R + Sync,
{
    let queue = Queue {
        state: Mutex::new(QueueState {
            jobs: VecDeque::new(),
            queued: 0,
            closed: false,
            threads: 1,
        }),
        ready: Condvar::new(),
    };
    // Other threads leave their results here instead of being joined: the scope's end waits
    // only for their work, not for the system to end each thread.
    let finished = Mutex::new(Vec::new());
    let early = expected >= MIN_PARALLEL_BYTES;
    let worker = || {
        if early {
            queue.await_first();
        }
        let done = std::panic::catch_unwind(AssertUnwindSafe(|| queue.work(&f)));
        finished
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(done);
    };
    let (produced, mut all) = std::thread::scope(|scope| {
        // The first worker leaves the calling thread's core if the scheduler put it there
        // (`leave_core`; the core asked when the worker is started, only then), learns the core
        // count and starts the others: asked on the calling thread, the count held up the first
        // block (0.06 ms, the cgroup's quota read from `/proc` and `/sys`). With one core it
        // leaves the work to the calling thread.
        let queue = &queue;
        let first = move |caller| {
            leave_core(caller);
            let n = cores();
            queue.lock().threads = n;
            for _ in 2..n {
                spawn_in(scope, worker);
            }
            if n > 1 {
                worker();
            }
        };
        let help = || {
            let caller = current_core();
            spawn_in(scope, move || first(caller));
        };
        let mut helped = early;
        if early {
            help();
        }
        let mut block = Block {
            start: 0,
            items: Vec::new(),
        };
        let (mut weight, mut total) = (0, 0);
        let produced = produce(&mut |item, w| {
            block.items.push(item);
            weight += w;
            total += w;
            if weight >= BLOCK_BYTES {
                let start = block.start + block.items.len();
                queue.push(std::mem::replace(
                    &mut block,
                    Block {
                        start,
                        items: Vec::new(),
                    },
                ));
                weight = 0;
                if !helped && total >= MIN_PARALLEL_BYTES {
                    helped = true;
                    help();
                }
            }
        });
        if !block.items.is_empty() {
            queue.push(block);
        }
        queue.close(produced.is_err());
        (produced, queue.work(&f))
    });
    for done in finished.into_inner().unwrap_or_else(|e| e.into_inner()) {
        match done {
            Ok(done) => all.extend(done),
            // A panic in `f` is a bug; carry it to the caller as a panic would travel.
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    produced?;
    all.sort_unstable_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, r)| r).collect())
}

/// The core the calling thread runs on (0 where that cannot be asked).
fn current_core() -> usize {
    #[cfg(target_os = "linux")]
    return rustix::thread::sched_getcpu();
    #[cfg(not(target_os = "linux"))]
    return 0;
}

/// Moves the calling thread (a pass's first worker) off `core`, the core of the thread that
/// started it, when the scheduler put it there and another core is allowed; then allows every
/// core again, so the scheduler may still move it as load requires. Returns whether it moved.
/// Measured on two virtual cores whose scheduler packs new threads onto the busy core (README,
/// Performance, eleventh round): the worker at times shared the reading thread's core for a
/// millisecond or more, and which builds it did so in moved with the code's placement.
fn leave_core(core: usize) -> bool {
    #[cfg(target_os = "linux")]
    {
        use rustix::thread::{sched_getaffinity, sched_getcpu, sched_setaffinity};
        if sched_getcpu() != core {
            return false;
        }
        let Ok(allowed) = sched_getaffinity(None) else {
            return false;
        };
        let mut others = allowed;
        others.unset(core);
        if others.count() == 0 || sched_setaffinity(None, &others).is_err() {
            return false;
        }
        // The kernel moves the calling thread before the call returns.
        let moved = sched_getcpu() != core;
        let _ = sched_setaffinity(None, &allowed);
        moved
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = core;
        false
    }
}

/// Starts `work` on a thread of `scope` with a stack of `STACK_BYTES`; when no thread can be
/// started, the calling thread does all the work.
fn spawn_in<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    work: impl FnOnce() + Send + 'scope,
) {
    let _ = std::thread::Builder::new()
        .stack_size(STACK_BYTES)
        .spawn_scoped(scope, work);
}

/// The blocks given to [`fed`] and not taken yet.
struct Queue<T> {
    state: Mutex<QueueState<T>>,
    ready: Condvar,
}

struct QueueState<T> {
    /// Blocks not taken yet, in order.
    jobs: VecDeque<Block<T>>,
    /// The number of items in `jobs`.
    queued: usize,
    /// True once no more blocks will come.
    closed: bool,
    /// How many threads take blocks (at most; one that could not start takes none).
    threads: usize,
}

impl<T> QueueState<T> {
    /// The next block to work on. Once every block is in, it is at most a share of the items
    /// left (the rest goes back to the front of the queue): a block closes at a number of
    /// bytes, and one of many small documents costs several times one of a single large
    /// document (1.8 against 0.2 ms for 128 KiB in the benchmark), so taking whole blocks to
    /// the end left one thread working alone on its last block while the other had finished.
    fn take(&mut self) -> Option<Block<T>> {
        let mut block = self.jobs.pop_front()?;
        let share = (self.queued / (2 * self.threads)).max(1);
        if self.closed && self.threads > 1 && block.items.len() > share {
            let rest = block.items.split_off(share);
            self.jobs.push_front(Block {
                start: block.start + share,
                items: rest,
            });
        }
        self.queued -= block.items.len();
        Some(block)
    }
}

impl<T> Queue<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState<T>> {
        // `f` runs outside the lock, so a panic there does not poison it; a poisoned lock still
        // holds the queue.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, block: Block<T>) {
        let mut state = self.lock();
        state.queued += block.items.len();
        state.jobs.push_back(block);
        drop(state);
        self.ready.notify_one();
    }

    /// No more blocks will come; with `drop_pending`, the blocks not taken are dropped.
    fn close(&self, drop_pending: bool) {
        let mut state = self.lock();
        state.closed = true;
        if drop_pending {
            state.jobs.clear();
            state.queued = 0;
        }
        drop(state);
        self.ready.notify_all();
    }

    /// Waits, awake, for the first block (or the end), at most `FIRST_BLOCK_SPIN`: a worker
    /// started before the input is read would otherwise sleep, and its core with it.
    fn await_first(&self) {
        let start = Instant::now();
        while start.elapsed() < FIRST_BLOCK_SPIN {
            let state = self.lock();
            if !state.jobs.is_empty() || state.closed {
                return;
            }
            drop(state);
            std::thread::yield_now();
        }
    }

    /// Takes blocks until the queue is closed and empty; their results, with the positions of
    /// their first items.
    fn work<R>(&self, f: &impl Fn(Block<T>) -> R) -> Vec<(usize, R)> {
        let mut done = Vec::new();
        loop {
            let mut state = self.lock();
            let job = loop {
                if let Some(job) = state.take() {
                    break Some(job);
                }
                if state.closed {
                    break None;
                }
                state = self.ready.wait(state).unwrap_or_else(|e| e.into_inner());
            };
            drop(state);
            match job {
                Some(block) => done.push((block.start, f(block))),
                None => return done,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `expected` for [`fed`]: unknown, and large enough that the workers start at once.
    const EXPECTED: [usize; 2] = [0, 1 << 30];

    #[cfg(target_os = "linux")]
    #[test]
    fn a_first_worker_leaves_its_callers_core_and_keeps_every_core_allowed() {
        use rustix::thread::{sched_getaffinity, sched_getcpu};
        std::thread::spawn(|| {
            let allowed = sched_getaffinity(None).unwrap();
            // Elsewhere already: it stays.
            assert!(!leave_core(usize::MAX));
            // On the caller's core: it moves when another core is allowed (asked again if the
            // scheduler moved it between the two calls).
            let moved = (0..100).any(|_| leave_core(sched_getcpu()));
            assert_eq!(moved, allowed.count() > 1);
            assert!(sched_getaffinity(None).unwrap() == allowed);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn fed_blocks_cover_every_item_once_in_order() {
        for (n, expected) in [0usize, 1, 2, 7, 5000]
            .into_iter()
            .flat_map(|n| EXPECTED.map(|e| (n, e)))
        {
            let out = fed(
                expected,
                |give| {
                    (0..n).for_each(|i| give(i, 1 << 10));
                    Ok::<(), ()>(())
                },
                |b| (b.start, b.items),
            )
            .unwrap();
            let mut next = 0;
            for (start, items) in out {
                assert_eq!(start, next);
                assert_eq!(items, (start..start + items.len()).collect::<Vec<_>>());
                next += items.len();
            }
            assert_eq!(next, n);
        }
    }

    fn state(blocks: &[(usize, usize)], closed: bool, threads: usize) -> QueueState<usize> {
        let jobs: VecDeque<Block<usize>> = blocks
            .iter()
            .map(|&(start, len)| Block {
                start,
                items: (start..start + len).collect(),
            })
            .collect();
        let queued = jobs.iter().map(|b| b.items.len()).sum();
        QueueState {
            jobs,
            queued,
            closed,
            threads,
        }
    }

    fn takes(mut state: QueueState<usize>) -> Vec<(usize, usize)> {
        let mut taken = Vec::new();
        while let Some(block) = state.take() {
            assert_eq!(
                block.items,
                (block.start..block.start + block.items.len()).collect::<Vec<_>>()
            );
            taken.push((block.start, block.items.len()));
        }
        assert_eq!(state.queued, 0);
        taken
    }

    #[test]
    fn blocks_are_taken_whole_while_more_may_come_or_one_thread_works() {
        let blocks = [(0, 40), (40, 40), (80, 3)];
        assert_eq!(takes(state(&blocks, false, 2)), blocks);
        assert_eq!(takes(state(&blocks, true, 1)), blocks);
    }

    #[test]
    fn once_all_blocks_are_in_each_take_is_a_share_of_what_is_left() {
        // Two threads: at most a quarter of the items left, down to single items at the end;
        // the items come in order, each once.
        let taken = takes(state(&[(0, 40), (40, 40), (80, 3)], true, 2));
        assert_eq!(taken[..5], [(0, 20), (20, 15), (35, 5), (40, 10), (50, 8)]);
        let mut left = 83;
        for &(start, len) in &taken {
            assert_eq!(start, 83 - left);
            assert!(len <= (left / 4).max(1), "{len} of {left}");
            left -= len;
        }
        assert_eq!(left, 0);
        assert!(taken.ends_with(&[(80, 1), (81, 1), (82, 1)]), "{taken:?}");
    }

    #[test]
    fn fed_returns_the_producers_error() {
        // Past the size where other threads start: they must stop, and the error come back;
        // workers started at once stop too when it comes before any block.
        for expected in EXPECTED {
            for n in [0, 5000] {
                let out = fed(
                    expected,
                    |give| {
                        (0..n).for_each(|i| give(i, 1 << 10));
                        Err("broken")
                    },
                    |b| b.items.len(),
                );
                assert_eq!(out.unwrap_err(), "broken");
            }
        }
    }

    #[test]
    fn fed_carries_another_threads_panic_to_the_caller() {
        // Past the size where other threads start, a block taken by another thread panics;
        // the calling thread is slow on its own blocks, so the others surely take some.
        let caller = std::thread::current().id();
        for expected in EXPECTED {
            let out = std::panic::catch_unwind(|| {
                fed(
                    expected,
                    |give| {
                        (0..5000).for_each(|i| give(i, 1 << 10));
                        Ok::<(), ()>(())
                    },
                    |b| {
                        assert_eq!(std::thread::current().id(), caller, "block at {}", b.start);
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        b.start
                    },
                )
            });
            assert_eq!(out.is_err(), cores() > 1);
        }
    }

    #[test]
    fn map_keeps_order_across_threads() {
        let items: Vec<usize> = (0..5000).collect();
        let out = map(items, |_| 1 << 10, |i| i * 2);
        assert_eq!(out, (0..5000).map(|i| i * 2).collect::<Vec<_>>());
    }
}
