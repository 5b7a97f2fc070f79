import Synchronization

/// What a run's faults did, for the summary (all zero without faults).
public struct FaultTotals: Sendable, Hashable, Codable {
    /// API calls answered with an injected error (409, 429, 500, 503).
    public var apiErrors = 0
    /// Times every watch of the components was dropped, and how many of those also expired the history (410).
    public var watchDrops = 0
    public var watchExpiries = 0
    /// Processes killed (and restarted).
    public var agentKills = 0
    public var partitionerKills = 0

    public init() {}

    public var kills: Int { agentKills + partitionerKills }

    /// Rows of the summary table.
    public var rows: [(String, String)] {
        [
            ("faults: API errors injected", "\(apiErrors)"),
            ("faults: watch drops (expired)", "\(watchDrops) (\(watchExpiries))"),
            ("faults: kills (agent + partitioner)", "\(agentKills) + \(partitionerKills)"),
        ]
    }
}

/// Counts faults as they happen, from any task.
final class FaultCounter: Sendable {
    private let totals = Mutex(FaultTotals())
    func update(_ body: (inout FaultTotals) -> Void) { totals.withLock { body(&$0) } }
    var value: FaultTotals { totals.withLock { $0 } }
}
