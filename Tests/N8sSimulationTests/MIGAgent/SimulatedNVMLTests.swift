import N8sCore
import N8sServices
import N8sSimulation
import Testing

/// The simulated GPU answers as NVML does (A100-40GB).
@Suite("SimulatedNVML: NVML's rules and error codes, injectable faults")
struct SimulatedNVMLTests {
    static let model = try! MIGCatalog.bundled().model(id: "a100-40gb")!

    static func id(_ nvml: SimulatedNVML, _ name: String) -> UInt32 { nvml.gpus[0].profiles.first { $0.name == name }!.id }

    @Test("placement, overlap, maximum count and in-use rules with NVML's codes")
    func rules() throws {
        let nvml = SimulatedNVML(model: Self.model, count: 1)
        try nvml.withSession { s in
            #expect(throws: NVMLError.call(function: "nvmlDeviceCreateGpuInstanceWithPlacement", code: .invalidArgument)) {
                try s.createGPUInstance(0, profileID: Self.id(nvml, "3g.20gb"), start: 2)
            }
            let gi = try s.createGPUInstance(0, profileID: Self.id(nvml, "4g.20gb"), start: 0)
            #expect(throws: NVMLError.call(function: "nvmlDeviceCreateGpuInstanceWithPlacement", code: .insufficientResources)) {
                try s.createGPUInstance(0, profileID: Self.id(nvml, "2g.10gb"), start: 2)
            }
            _ = try s.createGPUInstance(0, profileID: Self.id(nvml, "1g.5gb+me"), start: 4)
            #expect(throws: NVMLError.call(function: "nvmlDeviceCreateGpuInstanceWithPlacement", code: .insufficientResources)) {
                try s.createGPUInstance(0, profileID: Self.id(nvml, "1g.5gb+me"), start: 5)
            }
            let ci = try s.createComputeInstance(0, gpuInstance: gi)
            #expect(ci.migUUID.hasPrefix("MIG-") && ci.migUUID.count == 40)
            #expect(throws: NVMLError.call(function: "nvmlGpuInstanceDestroy", code: .inUse)) { try s.destroyGPUInstance(0, gpuInstance: gi) }
            nvml.setProcesses(1, onDevice: ci.migUUID)
            #expect(throws: NVMLError.call(function: "nvmlComputeInstanceDestroy", code: .inUse)) {
                try s.destroyComputeInstance(0, gpuInstance: gi, computeInstance: ci.id)
            }
            nvml.setProcesses(0, onDevice: ci.migUUID)
            try s.destroyComputeInstance(0, gpuInstance: gi, computeInstance: ci.id)
            try s.destroyGPUInstance(0, gpuInstance: gi)
            #expect(throws: NVMLError.call(function: "nvmlDeviceGetGpuInstanceById", code: .notFound)) { try s.destroyGPUInstance(0, gpuInstance: gi) }
        }
    }

    @Test("faults: phantom creates, failing destroys, unavailable library, reboot")
    func faults() throws {
        let nvml = SimulatedNVML(model: Self.model, count: 1)
        nvml.injectPhantomCreates(1)
        try nvml.withSession { s in
            _ = try s.createGPUInstance(0, profileID: Self.id(nvml, "7g.40gb"), start: 0)
            #expect(try s.gpuInstances(0).isEmpty, "success reported, nothing created")
        }
        try nvml.seed(gpu: 0, PlacedInstance("7g.40gb", at: 0))
        nvml.injectDestroyFailures([.unknown])
        try nvml.withSession { s in
            let gi = try s.gpuInstances(0)[0]
            #expect(throws: NVMLError.call(function: "nvmlComputeInstanceDestroy", code: .unknown)) {
                try s.destroyComputeInstance(0, gpuInstance: gi.id, computeInstance: gi.computeInstances[0].id)
            }
        }
        nvml.update { $0[0].migPending = false }
        nvml.reboot()
        #expect(nvml.gpus[0].instances.isEmpty && !nvml.gpus[0].migEnabled)
        nvml.isAvailable = false
        #expect { try nvml.withSession { try $0.deviceCount() } } throws: { ($0 as? NVMLError)?.isUnavailable == true }
    }
}
