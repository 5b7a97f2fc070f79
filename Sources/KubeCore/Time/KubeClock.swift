import Foundation
import Synchronization

/// The one source of time for every component: wall-clock instants (timestamps written to the
/// API) and waits. Injected everywhere, so a simulation can run faster than real time and tests
/// never sleep.
public protocol KubeClock: Sendable {
    /// The current instant, as it is written into `creationTimestamp`, `renewTime`, ...
    var now: Date { get }
    /// Suspends for `duration` of this clock's time.
    /// - Throws: `CancellationError` when the task is cancelled.
    func sleep(for duration: Duration) async throws
}

extension KubeClock {
    /// Time passed since `instant`, in this clock's time.
    public func elapsed(since instant: Date) -> Duration { .seconds(now.timeIntervalSince(instant)) }
}

/// Real time.
public struct SystemClock: KubeClock {
    public init() {}
    public var now: Date { Date() }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// Real time sped up by a constant factor: `ScaledClock(speed: 10)` makes a simulated minute
/// pass in six real seconds. Starts at `start` (default: now).
public struct ScaledClock: KubeClock {
    public let speed: Double
    private let realStart: ContinuousClock.Instant
    private let start: Date

    public init(speed: Double, start: Date = Date()) {
        precondition(speed > 0, "speed must be positive")
        self.speed = speed
        self.realStart = .now
        self.start = start
    }

    public var now: Date {
        let real = ContinuousClock.now - realStart
        return start.addingTimeInterval(real.seconds * speed)
    }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: .seconds(duration.seconds / speed))
    }
}

/// A clock that moves only when told: for tests. Sleepers wake when ``advance(by:)`` passes
/// their deadline, in deadline order.
public final class ManualClock: KubeClock {
    private struct State {
        var now: Date
        var sleepers: [(id: UInt64, deadline: Date, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { state = Mutex(State(now: start)) }

    public var now: Date { state.withLock { $0.now } }

    /// How many tasks are waiting in ``sleep(for:)``.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(for duration: Duration) async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let ready = state.withLock { s -> Bool in
                    if duration <= .zero { return true }
                    if Task.isCancelled { return true }
                    s.sleepers.append((id, s.now.addingTimeInterval(duration.seconds), continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.sleepers.remove(at: i).continuation
            }
            c?.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    /// Moves time forward and wakes every sleeper whose deadline has passed.
    public func advance(by duration: Duration) {
        let woken = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.now = s.now.addingTimeInterval(duration.seconds)
            let due = s.sleepers.filter { $0.deadline <= s.now }.sorted { $0.deadline < $1.deadline }
            s.sleepers.removeAll { $0.deadline <= s.now }
            return due.map(\.continuation)
        }
        for c in woken { c.resume() }
    }
}

extension Duration {
    /// This duration in (fractional) seconds.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
