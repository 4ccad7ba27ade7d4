/// Doubles allocated for one fit and freed with it: a logits matrix, per-chunk partial sums, the class weights.
///
/// Noncopyable, so exactly one owner frees the memory (`deinit`) and no copy outlives it. The kernels and their
/// parallel chunks reach the values through `values`, a pointer they may copy.
struct DoubleBuffer: ~Copyable {
    let values: SharedDoubles
    let count: Int

    /// `count` uninitialized values. (Untouched pages of a large allocation cost nothing.)
    init(count: Int) {
        self.count = count
        values = SharedDoubles(base: .allocate(capacity: max(1, count)))
    }

    init(copying source: [Double]) {
        self.init(count: source.count)
        values.base.initialize(from: source, count: source.count)
    }

    deinit { values.base.deallocate() }
}

/// A pointer into a `DoubleBuffer`, as the parallel chunks of one kernel call (`concurrentPerform`) share it.
///
/// `@unchecked Sendable` because the chunks of a call never race: each writes only its own rows of a logits matrix
/// or its own slice of partial sums, and reads only values that no chunk of the call writes. Calls never overlap
/// (a fit runs its kernels one after another), and the owning buffer outlives every call it is passed to.
struct SharedDoubles: @unchecked Sendable {
    let base: UnsafeMutablePointer<Double>
}
