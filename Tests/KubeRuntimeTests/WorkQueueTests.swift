import TestSupport
import KubeClient
import KubeCore
import Testing

@testable import KubeRuntime

@Suite("WorkQueue")
struct WorkQueueTests {
    @Test("de-duplicates keys and re-queues a key added while in flight, only after done")
    func stingy() async {
        let queue = WorkQueue<String>(name: "t")
        await queue.add("a")
        await queue.add("a")
        await queue.add("b")
        #expect(await queue.depth == 2)
        let first = await queue.next()
        #expect(first == "a")
        await queue.add("a")
        #expect(await queue.depth == 1)  // "a" waits until done
        #expect(await queue.next() == "b")
        await queue.done("a")
        #expect(await queue.next() == "a")
        await queue.done("a")
        await queue.done("b")
        #expect(await queue.depth == 0)
    }

    @Test("a key is never handed to two workers at once")
    func noConcurrentKey() async {
        let queue = WorkQueue<String>(name: "t")
        let monitor = Overlap()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while let key = await queue.next() {
                        monitor.enter(key)
                        await Task.yield()
                        monitor.leave(key)
                        await queue.done(key)
                    }
                }
            }
            for round in 0..<200 { await queue.add("k\(round % 3)") }
            _ = await eventually { let depth = await queue.depth; let inFlight = await queue.inFlight; return depth == 0 && inFlight == 0 }
            await queue.shutDown()
        }
        #expect(monitor.violations == 0)
        #expect(monitor.total > 0)
    }

    @Test("delayed adds fire after the clock passes their delay; the earliest delay wins")
    func delayed() async throws {
        let clock = ManualClock()
        let queue = WorkQueue<String>(name: "t", clock: clock)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await queue.run() }
            await queue.add("a", after: .seconds(10))
            await queue.add("a", after: .seconds(5))
            await queue.add("a", after: .seconds(20))
            #expect(await eventually { clock.sleeperCount == 2 })
            clock.advance(by: .seconds(4))
            #expect(await queue.depth == 0)
            clock.advance(by: .seconds(1))
            #expect(await eventually { await queue.depth == 1 })
            clock.advance(by: .seconds(10))
            #expect(await queue.depth == 1)
            #expect(await queue.pendingDelayed == 0)
            await queue.shutDown()
            try await group.waitForAll()
        }
    }

    @Test("per-key backoff doubles from 5 ms and resets on forget")
    func backoff() async {
        let queue = WorkQueue<String>(name: "t", clock: ManualClock())
        var delays: [Duration] = []
        for _ in 0..<4 { delays.append(await queue.addRateLimited("x")) }
        #expect(delays == [.milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(40)])
        await queue.forget("x")
        #expect(await queue.addRateLimited("x") == .milliseconds(5))
        #expect(Backoff(initial: .milliseconds(5), maximum: .seconds(1000)).delay(afterFailures: 40) == .seconds(1000))
    }

    @Test("shutDown wakes waiting workers with nil")
    func shutdown() async {
        let queue = WorkQueue<String>(name: "t")
        async let key = queue.next()
        _ = await eventually { true }
        await queue.shutDown()
        #expect(await key == nil)
    }
}

/// Counts overlapping holders of the same key.
final class Overlap: Sendable {
    private let state = Mutex<(active: Set<String>, violations: Int, total: Int)>(([], 0, 0))
    func enter(_ key: String) {
        state.withLock { s in
            if s.active.contains(key) { s.violations += 1 }
            s.active.insert(key)
            s.total += 1
        }
    }
    func leave(_ key: String) { _ = state.withLock { $0.active.remove(key) } }
    var violations: Int { state.withLock { $0.violations } }
    var total: Int { state.withLock { $0.total } }
}

import Synchronization
