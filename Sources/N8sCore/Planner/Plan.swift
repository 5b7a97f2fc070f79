/// The planner's answer: new layouts for the GPUs that change and what happens to each pod.
public struct Plan: Sendable, Hashable {
    public var planID: String
    /// Nodes with at least one changed GPU, sorted by name.
    public var nodes: [NodeChange]
    /// One outcome per pending pod, in input order.
    public var pods: [PodOutcome]
    /// Nodes left out, sorted by name, with every reason.
    public var skippedNodes: [SkippedNode]
    /// Where the MIG agent's report and the node's advertised devices differ, by node then profile.
    public var disagreements: [Disagreement] = []
    public var score: Score

    public struct NodeChange: Sendable, Hashable {
        public var name: String
        public var gpus: [GPUChange]
    }

    public struct GPUChange: Sendable, Hashable {
        public var index: Int
        /// Geometry before (NVIDIA profile names).
        public var from: Geometry
        /// Geometry after.
        public var to: Geometry
        /// The exact target layout, sorted by start.
        public var placements: [PlacedInstance]
        /// Free instances the plan destroys (never a used one).
        public var destroyed: [PlacedInstance]
    }

    public struct PodOutcome: Sendable, Hashable {
        public var namespace: String
        public var name: String
        public var fits: Bool
        public var node: String?
        /// `true` when the pod fits on devices that exist already (no GPU changes for it).
        public var fitsWithoutChange: Bool
        public var reason: String?

        public init(namespace: String, name: String, fits: Bool, node: String?, fitsWithoutChange: Bool, reason: String?) {
            self.namespace = namespace
            self.name = name
            self.fits = fits
            self.node = node
            self.fitsWithoutChange = fitsWithoutChange
            self.reason = reason
        }
    }

    /// The MIG agent reports more free instances of a profile than the node advertises
    /// (`status.allocatable` less what bound pods request): the device plugin is stale or down.
    /// kube-scheduler sees only what is advertised, so the planner holds the difference back: it
    /// neither gives those instances to pods nor destroys them, until the two agree.
    public struct Disagreement: Sendable, Hashable, CustomStringConvertible {
        public var node: String
        /// NVIDIA name.
        public var profile: String
        /// Free instances the agent reports (not used, not reserved by bound pods).
        public var reportedFree: Int
        /// `nvidia.com/mig-<profile>` allocatable less what bound pods request.
        public var advertisedFree: Int

        public init(node: String, profile: String, reportedFree: Int, advertisedFree: Int) {
            self.node = node
            self.profile = profile
            self.reportedFree = reportedFree
            self.advertisedFree = advertisedFree
        }

        public var description: String {
            "the MIG agent reports \(reportedFree) free \(profile) but the node advertises \(advertisedFree) "
                + "(allocatable less bound pods); the device plugin may be stale or down"
        }
    }

    /// A node left out, or (``isPlanned``) a planned node with GPUs left out.
    public struct SkippedNode: Sendable, Hashable {
        public var name: String
        public var reasons: [UnplannableReason]
        /// `true` when the node is planned and only the GPUs the reasons name are not.
        public var isPlanned = false
    }

    /// The objective of design.md section 5, in its order.
    public struct Score: Sendable, Hashable {
        /// Pods fitted per priority, highest priority first.
        public var fittedByPriority: [Int32: Int]
        public var freeInstancesDestroyed: Int
        public var gpusChanged: Int
        /// Sum over planned GPUs of the room their free and idle units leave for demand
        /// (``RoomMeasure``), in thousandths.
        public var room: Int

        public var fitted: Int { fittedByPriority.values.reduce(0, +) }

        /// The objective's order: pods fitted per priority from the highest down, then fewer
        /// destroyed instances, fewer changed GPUs, then more room left for demand.
        public func isBetter(than other: Score) -> Bool {
            for p in Set(fittedByPriority.keys).union(other.fittedByPriority.keys).sorted(by: >) {
                let (a, b) = (fittedByPriority[p] ?? 0, other.fittedByPriority[p] ?? 0)
                if a != b { return a > b }
            }
            if freeInstancesDestroyed != other.freeInstancesDestroyed { return freeInstancesDestroyed < other.freeInstancesDestroyed }
            if gpusChanged != other.gpusChanged { return gpusChanged < other.gpusChanged }
            return room > other.room
        }
    }
}
