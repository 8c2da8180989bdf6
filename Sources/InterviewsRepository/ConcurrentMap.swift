import Dispatch
import Synchronization

/// `transform` of every index in `0..<count`, in index order, computed on
/// the machine's cores (Dispatch's `concurrentPerform`: the calling thread
/// takes part and blocks until every index is done). For the bulk work of
/// opening a store, which nothing else waits on.
///
/// `transform` runs on several threads at once: it may only read the state
/// it shares (the caller's arrays and tables, which nobody writes meanwhile).
///
/// - Parameter parallel: False computes them in turn on the calling thread
///   (small inputs, where waking threads costs more than it saves).
package func concurrentMap<T: Sendable>(
    _ count: Int, parallel: Bool = true, _ transform: @Sendable (Int) -> T
) -> [T] {
    guard parallel, count > 1 else { return (0..<count).map(transform) }
    let results = Mutex([T?](repeating: nil, count: count))
    DispatchQueue.concurrentPerform(iterations: count) { index in
        let value = transform(index)
        results.withLock { $0[index] = value }
    }
    // concurrentPerform returns once every index has run, so none is nil.
    return results.withLock { $0.compactMap { $0 } }
}

/// `transform` of each element of `elements`, in order, computed on the
/// machine's cores in chunks of `chunk` elements (see
/// ``concurrentMap(_:parallel:_:)``; one chunk runs on the calling thread).
package func concurrentMap<Element: Sendable, T: Sendable>(
    _ elements: [Element], chunk: Int = 2048, _ transform: @Sendable (Element) -> T
) -> [T] {
    let chunk = max(1, chunk)
    let chunks = (elements.count + chunk - 1) / chunk
    let parts = concurrentMap(chunks) { number -> [T] in
        elements[(number * chunk)..<min(elements.count, (number + 1) * chunk)].map(transform)
    }
    var values: [T] = []
    values.reserveCapacity(elements.count)
    for part in parts { values += part }
    return values
}
