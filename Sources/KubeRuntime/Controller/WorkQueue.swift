import Foundation
import KubeClient
import KubeCore
import Metrics

/// A stingy work queue (client-go's `workqueue`): a key is queued at most once, never handed to
/// two workers at once, and handed out again after ``done(_:)`` if it was added while in flight.
/// Delayed adds and per-key exponential backoff use the injected clock.
///
/// ``run()`` fires delayed adds; it must run (the ``Controller`` runs it) for ``add(_:after:)`` and
/// ``addRateLimited(_:)`` to take effect. ``shutDown()`` wakes every waiting ``next()`` with `nil`.
public actor WorkQueue<Key: Hashable & Sendable> {
    private var queue: [Key] = []
    private var head = 0
    private var dirty: Set<Key> = []
    private var processing: Set<Key> = []
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Key?, Never>)] = []
    private var nextWaiter: UInt64 = 0
    private var failures: [Key: Int] = [:]
    private var delayed: [Key: Date] = [:]
    private var isShutDown = false
    private let requests: AsyncStream<(Key, Duration, Date)>
    private let requestSink: AsyncStream<(Key, Duration, Date)>.Continuation
    public let name: String
    public let clock: any KubeClock
    /// Per-key retry delays: 5 ms doubling to 1000 s (controller-runtime's default).
    public let backoff: Backoff
    private let depthGauge: Gauge
    private let addsCounter: Counter
    private let retriesCounter: Counter

    public init(
        name: String,
        clock: any KubeClock = SystemClock(),
        backoff: Backoff = Backoff(initial: .milliseconds(5), maximum: .seconds(1000)),
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.name = name
        self.clock = clock
        self.backoff = backoff
        (requests, requestSink) = AsyncStream.makeStream()
        depthGauge = Gauge(label: "n8s_workqueue_depth", dimensions: [("name", name)], factory: metrics)
        addsCounter = Counter(label: "n8s_workqueue_adds_total", dimensions: [("name", name)], factory: metrics)
        retriesCounter = Counter(label: "n8s_workqueue_retries_total", dimensions: [("name", name)], factory: metrics)
    }

    /// Keys waiting to be handed out (not counting those in flight).
    public var depth: Int { queue.count - head }
    public var inFlight: Int { processing.count }
    public var pendingDelayed: Int { delayed.count }
    /// `true` after ``shutDown()``.
    public var isStopped: Bool { isShutDown }

    /// Queues `key` unless it is queued already; if it is in flight, it is handed out again after ``done(_:)``.
    public func add(_ key: Key) {
        guard !isShutDown, !dirty.contains(key) else { return }
        addsCounter.increment()
        dirty.insert(key)
        guard !processing.contains(key) else { return }
        if !waiters.isEmpty {
            dirty.remove(key)
            processing.insert(key)
            waiters.removeFirst().continuation.resume(returning: key)
            return
        }
        queue.append(key)
        depthGauge.record(depth)
    }

    /// Queues `key` after `delay` of the clock's time. Of several pending delays for one key the
    /// earliest wins.
    public func add(_ key: Key, after delay: Duration) {
        guard !isShutDown else { return }
        guard delay > .zero else { return add(key) }
        let deadline = clock.now.addingTimeInterval(delay.seconds)
        if let pending = delayed[key], pending <= deadline { return }
        delayed[key] = deadline
        requestSink.yield((key, delay, deadline))
    }

    /// Queues `key` after its next backoff delay (5 ms, 10 ms, … per consecutive failure).
    /// - Returns: the delay used.
    @discardableResult
    public func addRateLimited(_ key: Key) -> Duration {
        let count = (failures[key] ?? 0) + 1
        failures[key] = count
        retriesCounter.increment()
        let delay = backoff.delay(afterFailures: count)
        add(key, after: delay)
        return delay
    }

    /// Clears `key`'s failure count (after a success).
    public func forget(_ key: Key) { failures[key] = nil }

    /// Consecutive failures recorded for `key`.
    public func failureCount(_ key: Key) -> Int { failures[key] ?? 0 }

    /// The next key, marked in flight; waits while the queue is empty.
    /// - Returns: `nil` once the queue is shut down (or the task is cancelled).
    public func next() async -> Key? {
        if head < queue.count {
            let key = queue[head]
            head += 1
            if head > 1024, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            dirty.remove(key)
            processing.insert(key)
            depthGauge.record(depth)
            return key
        }
        if isShutDown || Task.isCancelled { return nil }
        nextWaiter += 1
        let id = nextWaiter
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in waiters.append((id, continuation)) }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    /// Marks `key` finished; re-queues it if it was added meanwhile.
    public func done(_ key: Key) {
        processing.remove(key)
        guard dirty.contains(key), !isShutDown else { return }
        dirty.remove(key)
        add(key)
    }

    /// Stops handing out keys: waiting and later ``next()`` calls return `nil`; ``run()`` returns.
    public func shutDown() {
        isShutDown = true
        for waiter in waiters { waiter.continuation.resume(returning: nil) }
        waiters.removeAll()
        requestSink.finish()
    }

    /// Fires delayed adds until ``shutDown()``; pending delays are dropped then.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await (key, delay, deadline) in requests {
                group.addTask { [clock] in
                    do { try await clock.sleep(for: delay) } catch { return }
                    await self.fire(key, deadline: deadline)
                }
            }
            group.cancelAll()
        }
    }

    private func fire(_ key: Key, deadline: Date) {
        guard delayed[key] == deadline else { return }
        delayed[key] = nil
        add(key)
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: nil)
    }
}
