//! Deep recursion without stack overflow, on any thread.
//!
//! Expressions nest as deep as the parser allows (`syntax::parse::MAX_DEPTH` levels), and
//! every stage walks them recursively: the parser, lowering, the printers, the
//! simplifier, the derivative, the tape compiler, the checker. At a few kilobytes of
//! stack per level, that is more than a thread's stack holds (8 MiB for a program's main
//! thread, 2 MiB for a spawned one). So each recursive function that can follow the
//! nesting starts with one line,
//!
//! ```text
//! if stack::low() { return stack::grow(move || self.walk(id)); }
//! ```
//!
//! which, when less than [`RED_ZONE`] of the stack is left, goes on with the same call
//! on a fresh segment of [`SEGMENT`] bytes (allocated by `stacker`, as rustc does, and
//! freed when the call returns); otherwise the function runs on as it is. The check
//! compares an address in the caller's frame with a thread-local one: about a
//! nanosecond, against the hashing and allocation that any step of these walks does.
//!
//! A library user's thread, whatever its size, then gets a result or an error, never an
//! overflow. The red zone must hold whatever a guarded function runs before the next
//! guarded call: one level of the deepest stage (the parser, about 4 KiB a level) and
//! any recursion that follows something other than the nesting (a product's factors,
//! a sum's terms), with a wide margin.

/// Below this much stack left, a guarded call moves to a new segment.
pub const RED_ZONE: usize = 1 << 20;

/// The size of each new stack segment.
pub const SEGMENT: usize = 16 << 20;

use std::cell::Cell;

thread_local! {
    /// The address below which the stack left is under [`RED_ZONE`], on this thread's
    /// current segment; 0 until it is first asked for, and 1 where the platform does
    /// not say where the stack ends.
    static LOW_WATER: Cell<usize> = const { Cell::new(0) };
}

/// An address in the caller's frame: where the stack is now, give or take a frame.
#[inline(always)]
fn here() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Whether the stack left is below [`RED_ZONE`]: time to [`grow`]. A comparison with a
/// thread-local address, so that the guard costs next to nothing.
///
/// Where the platform does not say where the stack ends, this is never true, and the
/// thread's own stack is the bound, as it was without the guard.
#[inline]
pub fn low() -> bool {
    let mark = LOW_WATER.with(Cell::get);
    if mark == 0 {
        return learn();
    }
    here() < mark
}

/// Learns this segment's low-water mark from `stacker`, which knows where the stack
/// ends, and answers [`low`].
#[cold]
#[inline(never)]
fn learn() -> bool {
    let now = here();
    let (mark, low) = match stacker::remaining_stack() {
        Some(left) => (
            now.saturating_sub(left).saturating_add(RED_ZONE).max(2),
            left < RED_ZONE,
        ),
        None => (1, false),
    };
    LOW_WATER.with(|m| m.set(mark));
    low
}

/// Runs `f` on a new stack segment of [`SEGMENT`] bytes, and frees it after.
#[cold]
#[inline(never)]
pub fn grow<R>(f: impl FnOnce() -> R) -> R {
    /// Puts back the mark of the segment that is left, also when `f` panics.
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            LOW_WATER.with(|m| m.set(self.0));
        }
    }
    let _restore = Restore(LOW_WATER.with(Cell::get));
    stacker::grow(SEGMENT, || {
        // The new segment's mark is learnt at its first guard.
        LOW_WATER.with(|m| m.set(0));
        f()
    })
}

/// Runs `f`, on a new stack segment if the stack left is below [`RED_ZONE`]: for a
/// recursive closure or a call that is not worth the one-line form.
#[inline]
pub fn guard<R>(f: impl FnOnce() -> R) -> R {
    if low() { grow(f) } else { f() }
}
