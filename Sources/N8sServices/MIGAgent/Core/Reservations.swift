import N8sCore

/// What is used on the node, apart from NVML's processes (DESIGN.md section 3).
public struct UsageSnapshot: Sendable, Hashable {
    /// MIG device UUIDs the kubelet allocated to pods the API reports non-terminal.
    public var allocatedDeviceIDs: Set<String>
    /// Devices that pods bound to the node still wait for (bound, not yet allocated), by profile
    /// (NVIDIA name) to count: reserved before they are allocated.
    public var reserved: [String: Int]

    public init(allocatedDeviceIDs: Set<String> = [], reserved: [String: Int] = [:]) {
        self.allocatedDeviceIDs = allocatedDeviceIDs
        self.reserved = reserved.filter { $0.value > 0 }
    }

    /// Marks instances used: NVML processes (already set), allocated devices, then reservations.
    ///
    /// Reservations are node-wide counts: for each profile, that many free instances are marked,
    /// first those the spec keeps at their start (so a reservation never blocks a plan that keeps
    /// enough devices), then the lowest GPU index and start. A reservation beyond the free
    /// instances of its profile marks all of them.
    /// - Parameter specs: the spec's placements by GPU index (GPUs without one keep everything).
    public func mark(_ gpus: [ObservedGPU], specs: [Int: [PlacedInstance]] = [:]) -> [ObservedGPU] {
        var out = gpus
        for g in out.indices {
            for i in out[g].instances.indices where out[g].instances[i].migUUIDs.contains(where: allocatedDeviceIDs.contains) {
                out[g].instances[i].isUsed = true
            }
        }
        for (profile, count) in reserved.sorted(by: { $0.key < $1.key }) {
            var candidates: [(kept: Bool, g: Int, i: Int)] = []
            for g in out.indices {
                for (i, inst) in out[g].instances.enumerated() where !inst.isUsed && !inst.isOrphan && inst.placed.profile == profile {
                    let kept = specs[out[g].index].map { $0.contains(inst.placed) } ?? true
                    candidates.append((kept, g, i))
                }
            }
            candidates.sort { ($0.kept ? 0 : 1, out[$0.g].index, out[$0.g].instances[$0.i].placed.start) < ($1.kept ? 0 : 1, out[$1.g].index, out[$1.g].instances[$1.i].placed.start) }
            for c in candidates.prefix(count) { out[c.g].instances[c.i].isUsed = true }
        }
        return out
    }
}
