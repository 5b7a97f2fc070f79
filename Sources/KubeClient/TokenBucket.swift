import Foundation
import KubeCore
import Synchronization

/// A token bucket: `burst` requests at once, then `qps` per second on average (client-go's
/// `flowcontrol` limiter). Time comes from the injected clock.
///
/// Callers reserve a token and then wait for their turn, so waiters are served in arrival
/// order and never spin.
public final class TokenBucket: Sendable {
    public let qps: Double
    public let burst: Int
    private let clock: any KubeClock
    private let state: Mutex<(tokens: Double, last: Date)>

    public init(qps: Double, burst: Int, clock: any KubeClock = SystemClock()) {
        precondition(qps > 0 && burst >= 1, "qps must be positive and burst at least 1")
        self.qps = qps
        self.burst = burst
        self.clock = clock
        self.state = Mutex((Double(burst), clock.now))
    }

    /// Takes a token, waiting for one if the bucket is empty.
    /// - Throws: `CancellationError` if cancelled while waiting (the token is not returned).
    public func acquire() async throws {
        let wait = reserve()
        if wait > .zero { try await clock.sleep(for: wait) }
    }

    /// Takes a token if one is available now.
    public func tryAcquire() -> Bool {
        let now = clock.now
        return state.withLock { s in
            refill(&s, now: now)
            guard s.tokens >= 1 else { return false }
            s.tokens -= 1
            return true
        }
    }

    /// Takes a token (possibly going into debt) and returns how long to wait before using it.
    public func reserve() -> Duration {
        let now = clock.now
        return state.withLock { s in
            refill(&s, now: now)
            s.tokens -= 1
            return s.tokens >= 0 ? .zero : .seconds(-s.tokens / qps)
        }
    }

    private func refill(_ s: inout (tokens: Double, last: Date), now: Date) {
        let elapsed = now.timeIntervalSince(s.last)
        guard elapsed > 0 else { return }
        s.tokens = min(Double(burst), s.tokens + elapsed * qps)
        s.last = now
    }
}
