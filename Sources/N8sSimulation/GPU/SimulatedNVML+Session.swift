import N8sCore
import N8sServices

extension SimulatedNVML {
    /// The session handed to ``withSession(_:)``: every call locks the simulated driver.
    struct Session: NVMLSession {
        let nvml: SimulatedNVML

        func deviceCount() throws(NVMLError) -> Int { nvml.state.withLock { $0.gpus.count } }

        func deviceInfo(_ gpu: Int) throws(NVMLError) -> NVMLDeviceInfo {
            try nvml.withGPU(gpu) { g, _ throws(NVMLError) in
                NVMLDeviceInfo(index: gpu, name: g.name, uuid: g.uuid, memoryMiB: g.memoryMiB, migMode: NVMLMigMode(current: g.migEnabled, pending: g.migPending))
            }
        }

        func gpuInstanceProfiles(_ gpu: Int) throws(NVMLError) -> [NVMLGPUInstanceProfile] {
            try nvml.withGPU(gpu) { g, _ throws(NVMLError) in g.profiles }
        }

        func gpuInstances(_ gpu: Int) throws(NVMLError) -> [NVMLGPUInstance] {
            try nvml.withGPU(gpu) { g, _ throws(NVMLError) in
                guard g.migEnabled else { throw .call(function: "nvmlDeviceGetGpuInstances", code: .notSupported) }
                let profiles = Dictionary(g.profiles.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
                return g.instances.map { gi in
                    NVMLGPUInstance(
                        id: gi.id, profileID: profiles[gi.profile]?.id ?? 0, start: gi.start, size: profiles[gi.profile]?.placementSize ?? 0,
                        computeInstances: gi.computeInstances.map { NVMLComputeInstance(id: $0.id, migUUID: $0.migUUID, processCount: $0.processes) })
                }.sorted { $0.start < $1.start }
            }
        }

        func createGPUInstance(_ gpu: Int, profileID: UInt32, start: Int) throws(NVMLError) -> UInt32 {
            try nvml.withGPU(gpu) { g, s throws(NVMLError) in
                if !s.failingCreates.isEmpty { throw .call(function: "nvmlDeviceCreateGpuInstanceWithPlacement", code: s.failingCreates.removeFirst()) }
                if s.phantomCreates > 0 {
                    s.phantomCreates -= 1
                    defer { g.nextGPUInstanceID += 1 }
                    return g.nextGPUInstanceID + 1000
                }
                let id = try g.createGPUInstance(profileID: profileID, start: start, uuidSeed: 0)
                s.mutations += 1
                return id
            }
        }

        func createComputeInstance(_ gpu: Int, gpuInstance: UInt32) throws(NVMLError) -> NVMLComputeInstance {
            try nvml.withGPU(gpu) { g, s throws(NVMLError) in
                if gpuInstance > 1000, !g.instances.contains(where: { $0.id == gpuInstance }) {
                    // The phantom GI "exists" for the call that reported it: CI creation also reports success.
                    return NVMLComputeInstance(id: 0, migUUID: SimulatedGPU.uuid(prefix: "MIG", seed: UInt64(gpuInstance)), processCount: 0)
                }
                s.uuidCounter += 1
                let ci = try g.createComputeInstance(gpuInstance: gpuInstance, uuidSeed: s.uuidCounter &* 7919 &+ UInt64(gpu))
                s.mutations += 1
                return ci
            }
        }

        func destroyComputeInstance(_ gpu: Int, gpuInstance: UInt32, computeInstance: UInt32) throws(NVMLError) {
            try nvml.withGPU(gpu) { g, s throws(NVMLError) in
                if !s.failingDestroys.isEmpty { throw .call(function: "nvmlComputeInstanceDestroy", code: s.failingDestroys.removeFirst()) }
                try g.destroyComputeInstance(gpuInstance: gpuInstance, computeInstance: computeInstance)
                s.mutations += 1
            }
        }

        func destroyGPUInstance(_ gpu: Int, gpuInstance: UInt32) throws(NVMLError) {
            try nvml.withGPU(gpu) { g, s throws(NVMLError) in
                if !s.failingDestroys.isEmpty { throw .call(function: "nvmlGpuInstanceDestroy", code: s.failingDestroys.removeFirst()) }
                try g.destroyGPUInstance(gpuInstance)
                s.mutations += 1
            }
        }
    }
}
