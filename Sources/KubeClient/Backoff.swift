import Foundation
import KubeCore

/// Exponential backoff: `initial`, then times `factor` per step, capped at `maximum`.
///
/// A value type: each loop owns its own and calls ``reset()`` after a success. Deterministic
/// (no jitter) unless ``jitter`` is set, so tests with a manual clock know every delay.
public struct Backoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    public var factor: Double
    /// Up to this fraction of each delay is added at random (client-go's watcher uses 1.0).
    public var jitter: Double
    private var current: Duration?

    public init(initial: Duration, maximum: Duration, factor: Double = 2, jitter: Double = 0) {
        precondition(initial > .zero && maximum >= initial && factor >= 1, "invalid backoff")
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
    }

    /// The watcher's: 0.8 s doubling to 30 s.
    public static let watcher = Backoff(initial: .milliseconds(800), maximum: .seconds(30))
    /// Request retries: 200 ms doubling to 10 s.
    public static let request = Backoff(initial: .milliseconds(200), maximum: .seconds(10))

    /// The next delay; advances the sequence.
    public mutating func next() -> Duration {
        let base = current.map { min($0 * factor, maximum) } ?? initial
        current = base
        guard jitter > 0 else { return base }
        return base + base * Double.random(in: 0...jitter)
    }

    /// The delay after `failures` consecutive failures (1-based), without state.
    public func delay(afterFailures failures: Int) -> Duration {
        guard failures > 1 else { return initial }
        let scaled = initial.seconds * pow(factor, Double(min(failures - 1, 128)))
        return scaled >= maximum.seconds ? maximum : .seconds(scaled)
    }

    public mutating func reset() { current = nil }
}
