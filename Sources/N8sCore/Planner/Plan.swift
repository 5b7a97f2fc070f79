/// The planner's answer: new layouts for the GPUs that change and what happens to each pod.
public struct Plan: Sendable, Hashable {
    public var planID: String
    /// Nodes with at least one changed GPU, sorted by name.
    public var nodes: [NodeChange]
    /// One outcome per pending pod, in input order.
    public var pods: [PodOutcome]
    /// Nodes left out, sorted by name, with every reason.
    public var skippedNodes: [SkippedNode]
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

    public struct SkippedNode: Sendable, Hashable {
        public var name: String
        public var reasons: [UnplannableReason]
    }

    /// The objective of DESIGN.md section 5, in its order.
    public struct Score: Sendable, Hashable {
        /// Pods fitted per priority, highest priority first.
        public var fittedByPriority: [Int32: Int]
        public var freeInstancesDestroyed: Int
        public var gpusChanged: Int
        /// Sum over planned GPUs of the longest run of free-or-idle units.
        public var freeRunSum: Int

        public var fitted: Int { fittedByPriority.values.reduce(0, +) }

        /// The objective's order: pods fitted per priority from the highest down, then fewer
        /// destroyed instances, fewer changed GPUs, then a larger sum of free runs.
        public func isBetter(than other: Score) -> Bool {
            for p in Set(fittedByPriority.keys).union(other.fittedByPriority.keys).sorted(by: >) {
                let (a, b) = (fittedByPriority[p] ?? 0, other.fittedByPriority[p] ?? 0)
                if a != b { return a > b }
            }
            if freeInstancesDestroyed != other.freeInstancesDestroyed { return freeInstancesDestroyed < other.freeInstancesDestroyed }
            if gpusChanged != other.gpusChanged { return gpusChanged < other.gpusChanged }
            return freeRunSum > other.freeRunSum
        }
    }
}
