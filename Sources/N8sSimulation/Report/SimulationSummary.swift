import Foundation

/// The figures of one run (what the summary table, `--output json` and `--compare` show).
public struct SimulationSummary: Sendable, Hashable, Codable {
    public var name: String
    /// `dynamic` or `static:<geometry>`.
    public var partitioning: String
    public var simulatedSeconds: Double
    public var podsArrived: Int
    public var podsScheduled: Int
    /// Pods still waiting at the end.
    public var podsPending: Int
    /// Median pending time in simulated seconds (never-bound pods count until deletion or the end).
    public var pendingP50Seconds: Double
    public var pendingP95Seconds: Double
    /// Time-weighted mean of allocated GPU memory ÷ capacity, 0...1.
    public var allocationRatioMean: Double
    public var allocationRatioMax: Double
    /// MIG reconfigurations (per GPU).
    public var reconfigurations: Int
    /// Breaches of n8s's first rule, by kind (JSON: an object with one count per kind); every
    /// count must be 0.
    public var violations: SafetyViolations
    /// Faults injected (all zero without a fault plan).
    public var faults = FaultTotals()
    /// Nodes whose MIG agent could not partition at the end of the run (condition `N8sMigAgent`
    /// False for a reason a person must fix, e.g. `DeviceIDMismatch`), by node name; `nil` when
    /// none (and in static mode).
    public var agentProblems: [AgentProblem]?
    /// Pods still pending at the end, by `namespace/name`, with the latest Event n8s or the
    /// scheduler recorded on each (`Reason: message`, or empty): why each one waits. `nil` when none.
    public var stillPending: [String: String]?

    /// A node whose MIG agent reports it cannot partition.
    public struct AgentProblem: Sendable, Hashable, Codable {
        public var node: String
        /// The condition's reason, e.g. `DeviceIDMismatch`.
        public var reason: String
        public var message: String
    }

    /// Label of a run in tables and legends: the partitioning mode, or the name when they differ.
    public var label: String { partitioning }

    /// Rows of the summary: metric name and value text.
    public var rows: [(String, String)] {
        [
            ("pods arrived", "\(podsArrived)"),
            ("pods scheduled", "\(podsScheduled)"),
            ("pods still pending", "\(podsPending)"),
            ("pending time p50", DurationText.format(.seconds(pendingP50Seconds.rounded()))),
            ("pending time p95", DurationText.format(.seconds(pendingP95Seconds.rounded()))),
            ("GPU memory allocated (mean)", String(format: "%.1f%%", allocationRatioMean * 100)),
            ("GPU memory allocated (max)", String(format: "%.1f%%", allocationRatioMax * 100)),
            ("MIG reconfigurations", "\(reconfigurations)"),
        ] + SafetyViolations.Kind.allCases.map { ($0.label, "\(violations[$0])") } + faults.rows + [
            ("simulated time", DurationText.format(.seconds(simulatedSeconds.rounded()))),
        ]
    }

    /// The summary table of one run.
    public var table: String { Self.compare([self]) }

    /// Runs side by side: one column per run, one row per figure.
    public static func compare(_ runs: [SimulationSummary]) -> String {
        var rows: [[String]] = [["", ] + runs.map(\.label)]
        guard let first = runs.first else { return "" }
        for (i, row) in first.rows.enumerated() { rows.append([row.0] + runs.map { $0.rows[i].1 }) }
        return TextTable.render(rows)
    }

    /// JSON of several runs' figures (an array), keys sorted, pretty-printed.
    public static func json(_ runs: [SimulationSummary]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(runs), as: UTF8.self)
    }
}

/// One run's figures and time series.
public struct SimulationResult: Sendable, Hashable, Codable {
    public var summary: SimulationSummary
    public var samples: [SimulationRecorder.Sample]
    /// Pending time of every pod in simulated seconds, by `namespace/name` (never-bound pods:
    /// until deletion or the end).
    public var pendingSeconds: [String: Double]
    /// What each safety violation was, in the order seen (empty when all counts are 0).
    public var violationDetails: [String] = []

    public init(summary: SimulationSummary, samples: [SimulationRecorder.Sample], pendingSeconds: [String: Double] = [:], violationDetails: [String] = []) {
        self.summary = summary
        self.samples = samples
        self.pendingSeconds = pendingSeconds
        self.violationDetails = violationDetails
    }

    /// Pods (`namespace/name`) that were bound at some point during the run.
    public var scheduledPods: Set<String> = []

    enum CodingKeys: String, CodingKey { case summary, samples, pendingSeconds, violationDetails, scheduledPods }

    /// Reads results written before `violationDetails` existed too.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        summary = try c.decode(SimulationSummary.self, forKey: .summary)
        samples = try c.decode([SimulationRecorder.Sample].self, forKey: .samples)
        pendingSeconds = try c.decodeIfPresent([String: Double].self, forKey: .pendingSeconds) ?? [:]
        violationDetails = try c.decodeIfPresent([String].self, forKey: .violationDetails) ?? []
        scheduledPods = try c.decodeIfPresent(Set<String>.self, forKey: .scheduledPods) ?? []
    }
}
