//! A counting allocator for the benches (`--features count-allocs`): it wraps
//! [`std::alloc::System`] and counts every `alloc`, `alloc_zeroed` and `realloc` call and the
//! bytes they ask for (relaxed atomics). The `arovm` binary installs it as the global allocator
//! only with that feature; the admin `/metrics` then reports the totals
//! (`arovm_heap_allocations_total`, `arovm_heap_allocated_bytes_total`), which `make bench`
//! turns into allocations per handled message and per delivered frame.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

/// [`System`] with every allocation counted (see [`totals`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAlloc;

impl CountingAlloc {
    #[inline]
    fn count(size: usize) {
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(size as u64, Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc`
// contract; the counting touches only atomics and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::count(layout.size());
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::count(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::count(new_size);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocation calls (`alloc`, `alloc_zeroed`, `realloc`) and the bytes they asked for, since
/// the process started (zero unless [`CountingAlloc`] is the global allocator).
pub fn totals() -> (u64, u64) {
    (ALLOCATIONS.load(Relaxed), BYTES.load(Relaxed))
}

/// The admin `/metrics` body: with `count-allocs`, `text` with the two counters added (see
/// [`append_metrics`]); otherwise `text` unchanged.
pub fn metrics_body(mut text: String) -> String {
    if cfg!(feature = "count-allocs") {
        append_metrics(&mut text);
    }
    text
}

/// Adds the two counters to an OpenMetrics text body, before its closing `# EOF`.
pub fn append_metrics(body: &mut String) {
    let (n, bytes) = totals();
    let lines = format!(
        "# HELP arovm_heap_allocations Heap allocation calls (alloc, alloc_zeroed, realloc; count-allocs build).\n\
         # TYPE arovm_heap_allocations counter\n\
         arovm_heap_allocations_total {n}\n\
         # HELP arovm_heap_allocated_bytes Bytes asked for by those calls.\n\
         # TYPE arovm_heap_allocated_bytes counter\n\
         arovm_heap_allocated_bytes_total {bytes}\n"
    );
    let at = body.rfind("# EOF").unwrap_or(body.len());
    body.insert_str(at, &lines);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_allocations_and_bytes() {
        let a = CountingAlloc;
        let (n0, b0) = totals();
        let layout = Layout::from_size_align(64, 8).expect("layout");
        // SAFETY: a non-zero layout; the pointer is freed with the layout it now has.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            let p = a.realloc(p, layout, 256);
            assert!(!p.is_null());
            a.dealloc(p, Layout::from_size_align(256, 8).expect("layout"));
        }
        let (n1, b1) = totals();
        // Other tests of this module may count at the same time: at least ours are there.
        assert!(n1 - n0 >= 2, "{n0} -> {n1}");
        assert!(b1 - b0 >= 64 + 256, "{b0} -> {b1}");
    }

    /// With the feature on, this is the global allocator of the test binary too.
    #[cfg(feature = "count-allocs")]
    #[test]
    fn a_vec_is_counted() {
        let (n0, b0) = totals();
        let v: Vec<u64> = std::hint::black_box(Vec::with_capacity(1000));
        let (n1, b1) = totals();
        drop(v);
        assert!(n1 > n0, "{n0} -> {n1}");
        assert!(b1 - b0 >= 8000, "{b0} -> {b1}");
    }

    #[test]
    fn metrics_lines_go_before_eof() {
        let mut body = String::from("# TYPE x counter\nx_total 1\n# EOF\n");
        append_metrics(&mut body);
        assert!(body.ends_with("# EOF\n"));
        assert!(body.contains("\narovm_heap_allocations_total "));
        assert!(body.contains("\narovm_heap_allocated_bytes_total "));
    }
}
