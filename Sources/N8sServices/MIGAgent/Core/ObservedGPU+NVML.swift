import N8sCore

extension ObservedGPU {
    /// Reads one GPU from an open NVML session; `isUsed` is `true` where NVML reports processes
    /// (allocations and reservations are added later).
    /// - Throws: ``NVMLError`` of the first failing call.
    public static func read(_ gpu: Int, from session: any NVMLSession) throws(NVMLError) -> ObservedGPU {
        let info = try session.deviceInfo(gpu)
        let mode: MIGMode
        switch info.migMode {
        case nil: mode = .disabled
        case let m?: mode = m.current != m.pending ? .pending : (m.current ? .enabled : .disabled)
        }
        guard let nvmlMode = info.migMode else {
            return ObservedGPU(index: gpu, name: info.name, product: info.productLabel, migMode: .disabled, isMIGCapable: false, instances: [], profiles: [])
        }
        let profiles = try session.gpuInstanceProfiles(gpu)
        var instances: [ObservedInstance] = []
        if nvmlMode.current {
            let names = Dictionary(profiles.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
            for gi in try session.gpuInstances(gpu) {
                let name = names[gi.profileID] ?? "profile-\(gi.profileID)"
                instances.append(ObservedInstance(
                    placed: PlacedInstance(name, at: gi.start), gpuInstanceID: gi.id,
                    computeInstanceIDs: gi.computeInstances.map(\.id), migUUIDs: gi.computeInstances.map(\.migUUID),
                    processCount: gi.processCount, isUsed: gi.processCount > 0))
            }
        }
        return ObservedGPU(index: gpu, name: info.name, product: info.productLabel, migMode: mode, instances: instances.sorted { $0.placed < $1.placed }, profiles: profiles)
    }
}
