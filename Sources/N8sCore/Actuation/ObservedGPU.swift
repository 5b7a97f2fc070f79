/// One GPU instance as the agent sees it: where it is, its NVML ids, and whether it is used.
public struct ObservedInstance: Sendable, Hashable {
    public var placed: PlacedInstance
    public var gpuInstanceID: UInt32
    /// Compute instance ids; empty for an orphan GPU instance (no MIG device, invisible to pods).
    public var computeInstanceIDs: [UInt32]
    /// MIG device UUIDs (one per compute instance).
    public var migUUIDs: [String]
    /// Processes NVML reports on it.
    public var processCount: Int
    /// Allocated to a non-terminal pod, running processes, or reserved by a bound pod
    /// (design.md section 3). Set by ``UsageSnapshot/mark(_:)`` and ``Reservations``.
    public var isUsed: Bool

    public init(placed: PlacedInstance, gpuInstanceID: UInt32, computeInstanceIDs: [UInt32] = [], migUUIDs: [String] = [], processCount: Int = 0, isUsed: Bool = false) {
        self.placed = placed
        self.gpuInstanceID = gpuInstanceID
        self.computeInstanceIDs = computeInstanceIDs
        self.migUUIDs = migUUIDs
        self.processCount = processCount
        self.isUsed = isUsed
    }

    /// A GPU instance without compute instance: consumes slices, offers no device.
    public var isOrphan: Bool { computeInstanceIDs.isEmpty }
}

/// One GPU as the agent sees it.
public struct ObservedGPU: Sendable, Hashable {
    public var index: Int
    /// `nvmlDeviceGetName`, e.g. `NVIDIA A100-SXM4-40GB`.
    public var name: String
    /// `gpu.product` form, e.g. `NVIDIA-A100-SXM4-40GB`.
    public var product: String
    public var migMode: MIGMode
    /// `false` for a GPU without MIG support (never planned, reported `disabled`).
    public var isMIGCapable: Bool
    public var instances: [ObservedInstance]
    /// NVML's profiles and placements (the rules the spec is checked against).
    public var profiles: [NVMLGPUInstanceProfile]

    public init(index: Int, name: String, product: String, migMode: MIGMode, isMIGCapable: Bool = true, instances: [ObservedInstance], profiles: [NVMLGPUInstanceProfile]) {
        self.index = index
        self.name = name
        self.product = product
        self.migMode = migMode
        self.isMIGCapable = isMIGCapable
        self.instances = instances
        self.profiles = profiles
    }

    /// The layout of the instances that offer a device (orphans excluded), sorted by start.
    public var layout: [PlacedInstance] { instances.filter { !$0.isOrphan }.map(\.placed).sorted() }

    /// The status report of design.md section 3 (orphans are not reported: they offer no device).
    public var statusReport: GPUStatusReport {
        var report = GPUStatusReport(index: index, model: product, migMode: migMode)
        if isMIGCapable, migMode == .enabled {
            report.instances = instances.filter { !$0.isOrphan }.map { InstanceState($0.placed, isUsed: $0.isUsed) }.sorted { $0.placed < $1.placed }
        }
        return report
    }
}
