import RPCCore
import Testing

@Suite("The shutdown signal handlers wait on", .timeLimit(.minutes(1)))
struct ShutdownSignalTests {
    @Test("waiters return when it is triggered, and later waits return at once")
    func trigger() async {
        let signal = ShutdownSignal()
        #expect(!signal.isTriggered)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<10 { group.addTask { await signal.wait() } }
            signal.trigger()
            await group.waitForAll()
        }
        #expect(signal.isTriggered)
        await signal.wait()
        signal.trigger()
        #expect(signal.isTriggered)
    }

    @Test("a waiting task that is cancelled returns without the signal")
    func cancellation() async {
        let signal = ShutdownSignal()
        let waiter = Task { await signal.wait() }
        waiter.cancel()
        await waiter.value
        #expect(!signal.isTriggered)
    }
}
