/// MIG mode of one GPU as the agent reports it.
public enum MIGMode: String, Sendable, Hashable, Codable {
    case enabled, disabled
    /// A mode change waits for a GPU reset.
    case pending
}

/// The agent's outcome for the last plan it acted on.
public enum PartitioningOutcome: String, Sendable, Hashable, Codable {
    case applied = "Applied"
    case partiallyApplied = "PartiallyApplied"
    case failed = "Failed"
}

/// One instance of a placement report: where it is and whether a pod uses or reserves it.
public struct InstanceState: Sendable, Hashable {
    public var placed: PlacedInstance
    public var isUsed: Bool

    public init(_ placed: PlacedInstance, isUsed: Bool) {
        self.placed = placed
        self.isUsed = isUsed
    }
}

/// What the agent reports for one GPU (`status-gpu-<index>-*`).
public struct GPUStatusReport: Sendable, Hashable {
    public var index: Int
    /// `gpu.product` form, e.g. `NVIDIA-H100-80GB-HBM3`.
    public var model: String?
    public var migMode: MIGMode?
    /// Every instance with its start; `nil` when the agent wrote no placement report.
    public var instances: [InstanceState]?
    /// Counts by profile (NVIDIA name), from the `-free` / `-used` keys.
    public var free: [String: Int] = [:]
    public var used: [String: Int] = [:]

    public init(index: Int, model: String? = nil, migMode: MIGMode? = nil, instances: [InstanceState]? = nil) {
        self.index = index
        self.model = model
        self.migMode = migMode
        self.instances = instances
    }
}

/// What the partitioner asks for one GPU (`spec-gpu-<index>-*`).
public struct GPUSpec: Sendable, Hashable {
    public var index: Int
    /// Counts by profile (NVIDIA name).
    public var counts: Geometry
    /// The exact layout to create; `nil` when only counts were written (the seed's format).
    public var placements: [PlacedInstance]?

    public init(index: Int, counts: Geometry, placements: [PlacedInstance]?) {
        self.index = index
        self.counts = counts
        self.placements = placements
    }

    /// A spec for an exact layout (counts derived from it).
    public init(index: Int, layout: [PlacedInstance]) {
        self.init(index: index, counts: Geometries.of(layout), placements: layout.sorted())
    }
}

/// A malformed n8s annotation: the key, the value and what is wrong. Never treated as zero.
public struct AnnotationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var key: String
    public var value: String
    public var reason: String

    public init(key: String, value: String, reason: String) {
        self.key = key
        self.value = value
        self.reason = reason
    }

    public var description: String { "annotation '\(key)' = '\(value)': \(reason)" }
}

/// Every n8s annotation of one node, parsed (design.md section 3).
public struct NodeMIGAnnotations: Sendable, Hashable {
    /// Agent reports by GPU index.
    public var status: [Int: GPUStatusReport] = [:]
    /// Partitioner specs by GPU index.
    public var spec: [Int: GPUSpec] = [:]
    public var statusPlanID: String?
    public var outcome: PartitioningOutcome?
    public var statusSpecHash: String?
    public var specPlanID: String?
    /// Malformed keys and values, in key order; the GPUs they name are not planned.
    public var errors: [AnnotationError] = []

    public init() {}

    /// `true` when the partitioner wrote a plan the agent has not echoed yet.
    public var isAwaitingEcho: Bool { specPlanID != nil && specPlanID != statusPlanID }

    /// GPU indexes named by an error.
    public var gpusWithErrors: Set<Int> {
        Set(errors.compactMap { e in (ProfileGrammar.gpuKey(e.key, kind: "status") ?? ProfileGrammar.gpuKey(e.key, kind: "spec"))?.gpu })
    }
}
