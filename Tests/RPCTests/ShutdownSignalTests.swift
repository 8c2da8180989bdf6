import RPCCore
import Testing

@Suite("The shutdown signal handlers wait on", .timeLimit(.minutes(1)))
struct ShutdownSignalTests {
    /// Returns once `signal` has `count` suspended waiters.
    private func waitForWaiters(_ signal: ShutdownSignal, _ count: Int) async {
        while signal.waiterCount != count { await Task.yield() }
    }

    @Test("waiters return when it is triggered, and later waits return at once")
    func trigger() async {
        let signal = ShutdownSignal()
        #expect(!signal.isTriggered)
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    await signal.wait()
                    return signal.isTriggered
                }
            }
            // Every waiter is suspended before the trigger, so the trigger is what wakes them.
            await waitForWaiters(signal, 10)
            #expect(!signal.isTriggered)
            signal.trigger()
            var woken = 0
            for await sawTrigger in group {
                #expect(sawTrigger)
                woken += 1
            }
            #expect(woken == 10)
        }
        #expect(signal.isTriggered)
        #expect(signal.waiterCount == 0)
        await signal.wait()
        signal.trigger()
        #expect(signal.isTriggered)
        #expect(signal.waiterCount == 0)
    }

    @Test("a waiting task that is cancelled returns without the signal, and its waiter is removed")
    func cancellation() async {
        let signal = ShutdownSignal()
        let waiter = Task {
            await signal.wait()
            return (cancelled: Task.isCancelled, triggered: signal.isTriggered)
        }
        await waitForWaiters(signal, 1)
        waiter.cancel()
        let outcome = await waiter.value
        #expect(outcome.cancelled)
        #expect(!outcome.triggered)
        #expect(signal.waiterCount == 0)
        #expect(!signal.isTriggered)
    }

    @Test("a task cancelled before it waits returns at once without registering")
    func cancelledBeforeWaiting() async {
        let signal = ShutdownSignal()
        let waiter = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await signal.wait()
            return Task.isCancelled
        }
        #expect(await waiter.value)
        #expect(signal.waiterCount == 0)
        #expect(!signal.isTriggered)
    }
}
