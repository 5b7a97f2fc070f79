import Foundation
import KubeCore

/// The batch of candidate pods the partitioner plans for at once (design.md section 5).
///
/// A window opens when the first candidate arrives and closes (is due) `timeout` after that, or
/// `idle` after the last new candidate, whichever comes first. A pod that stops being a candidate
/// leaves the batch; when the last one leaves, the window closes without planning. Pure: time is
/// passed in (from the injected clock).
public struct BatchWindow: Sendable, Hashable {
    /// `batchWindowTimeoutSeconds`.
    public let timeout: Duration
    /// `batchWindowIdleSeconds`.
    public let idle: Duration
    /// When the first candidate of this window arrived; `nil` while no window is open.
    public private(set) var openedAt: Date?
    /// When the most recent new candidate arrived.
    public private(set) var lastArrivalAt: Date?
    /// The pods in the batch.
    public private(set) var members: Set<ObjectKey> = []

    public init(timeout: Duration, idle: Duration) {
        self.timeout = timeout
        self.idle = idle
    }

    public var isOpen: Bool { openedAt != nil }

    /// Makes the batch equal to `candidates` at `now`: new ones join (and restart the idle
    /// timer), pods no longer candidates leave. An empty batch closes the window.
    /// - Returns: the keys that joined.
    @discardableResult
    public mutating func update(candidates: Set<ObjectKey>, now: Date) -> Set<ObjectKey> {
        let joined = candidates.subtracting(members)
        members = candidates
        if members.isEmpty {
            close()
            return []
        }
        if openedAt == nil { openedAt = now }
        if !joined.isEmpty { lastArrivalAt = now }
        return joined
    }

    /// When the window closes: the earlier of `openedAt + timeout` and `lastArrivalAt + idle`;
    /// `nil` while no window is open.
    public var deadline: Date? {
        guard let openedAt, let lastArrivalAt else { return nil }
        return min(openedAt.addingTimeInterval(timeout.seconds), lastArrivalAt.addingTimeInterval(idle.seconds))
    }

    /// `true` when a window is open and its deadline has passed at `now`.
    public func isDue(at now: Date) -> Bool { deadline.map { now >= $0 } ?? false }

    /// Time left until the deadline (zero when due); `nil` while no window is open.
    public func remaining(at now: Date) -> Duration? {
        deadline.map { .seconds(max(0, $0.timeIntervalSince(now))) }
    }

    /// Ends the window (after planning it, or when it emptied).
    public mutating func close() {
        openedAt = nil
        lastArrivalAt = nil
        members = []
    }
}
