import N8sCore

/// What is used on the node, apart from NVML's processes (design.md section 3).
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
    /// Reservations are node-wide counts, placed by N8sCore's ``Reservations/take(_:from:)`` (the
    /// planner's rule too): for each profile, that many free instances are marked, first those the
    /// spec keeps at their start (so a reservation never blocks a plan that keeps enough devices),
    /// then the lowest GPU index and start. A reservation beyond the free instances of its profile
    /// marks all of them.
    /// - Parameter specs: the spec's placements by GPU index (GPUs without one keep everything).
    public func mark(_ gpus: [ObservedGPU], specs: [Int: [PlacedInstance]] = [:]) -> [ObservedGPU] {
        var out = gpus
        for g in out.indices {
            for i in out[g].instances.indices where out[g].instances[i].migUUIDs.contains(where: allocatedDeviceIDs.contains) {
                out[g].instances[i].isUsed = true
            }
        }
        func candidate(_ gpu: ObservedGPU, _ instance: ObservedInstance) -> Reservations.Candidate {
            let kept = specs[gpu.index].map { $0.contains(instance.placed) } ?? true
            return Reservations.Candidate(gpu: gpu.index, placed: instance.placed, isPreferred: kept)
        }
        let free = out.flatMap { g in g.instances.filter { !$0.isUsed && !$0.isOrphan }.map { candidate(g, $0) } }
        let taken = Reservations.take(reserved, from: free)
        for g in out.indices {
            for i in out[g].instances.indices where !out[g].instances[i].isUsed && !out[g].instances[i].isOrphan
                && taken.contains(candidate(out[g], out[g].instances[i]))
            {
                out[g].instances[i].isUsed = true
            }
        }
        return out
    }
}
