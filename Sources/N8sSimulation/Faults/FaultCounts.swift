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
    /// Node reboots, and the pods they failed (lost to the reboot, not to n8s).
    public var reboots = 0
    public var podsLostToReboots = 0
    /// Device plugin pod starts that crashed (each waits out a CrashLoopBackOff).
    public var pluginCrashes = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case apiErrors, watchDrops, watchExpiries, agentKills, partitionerKills, reboots, podsLostToReboots, pluginCrashes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiErrors = try c.decodeIfPresent(Int.self, forKey: .apiErrors) ?? 0
        watchDrops = try c.decodeIfPresent(Int.self, forKey: .watchDrops) ?? 0
        watchExpiries = try c.decodeIfPresent(Int.self, forKey: .watchExpiries) ?? 0
        agentKills = try c.decodeIfPresent(Int.self, forKey: .agentKills) ?? 0
        partitionerKills = try c.decodeIfPresent(Int.self, forKey: .partitionerKills) ?? 0
        reboots = try c.decodeIfPresent(Int.self, forKey: .reboots) ?? 0
        podsLostToReboots = try c.decodeIfPresent(Int.self, forKey: .podsLostToReboots) ?? 0
        pluginCrashes = try c.decodeIfPresent(Int.self, forKey: .pluginCrashes) ?? 0
    }

    public var kills: Int { agentKills + partitionerKills }

    /// Rows of the summary table.
    public var rows: [(String, String)] {
        [
            ("faults: API errors injected", "\(apiErrors)"),
            ("faults: watch drops (expired)", "\(watchDrops) (\(watchExpiries))"),
            ("faults: kills (agent + partitioner)", "\(agentKills) + \(partitionerKills)"),
            ("faults: reboots (pods lost to them)", "\(reboots) (\(podsLostToReboots))"),
            ("faults: device plugin crashes", "\(pluginCrashes)"),
        ]
    }
}

/// Counts faults as they happen, from any task.
final class FaultCounter: Sendable {
    private let totals = Mutex(FaultTotals())
    func update(_ body: (inout FaultTotals) -> Void) { totals.withLock { body(&$0) } }
    var value: FaultTotals { totals.withLock { $0 } }
}
