import Synchronization

/// The bytes of partly received frames that a server holds for connections
/// which have not authenticated a call, counted across all of them, against
/// ``RPCServerConfiguration/maxUnauthenticatedBufferedBytes``.
///
/// Each connection charges the length of the frame it is receiving (header
/// included) once its header has arrived, and returns it when the frame
/// completes, the connection authenticates or it closes.
final class PartialFrameBudget: Sendable {
    /// The most bytes held at once.
    let limit: Int
    private let held = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// The bytes held now, across every connection.
    var bytesHeld: Int { held.load(ordering: .relaxed) }

    /// Takes `bytes` more from the budget; false (and nothing taken) when
    /// that would go beyond ``limit``.
    func charge(_ bytes: Int) -> Bool {
        var current = held.load(ordering: .relaxed)
        while true {
            guard current + bytes <= limit else { return false }
            let (exchanged, original) = held.compareExchange(
                expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    /// Returns `bytes` taken by ``charge(_:)``.
    func release(_ bytes: Int) {
        held.wrappingSubtract(bytes, ordering: .relaxed)
    }
}
