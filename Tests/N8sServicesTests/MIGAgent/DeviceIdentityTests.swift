import N8sCore
import N8sServices
import Testing

/// Fail closed on device identity (design.md section 3).
@Suite("DeviceIdentity: every kubelet MIG device id is an NVML MIG UUID of the node")
struct DeviceIdentityTests {
    static func gpu(_ index: Int, uuids: [[String]]) -> ObservedGPU {
        let instances = uuids.enumerated().map { i, ids in
            ObservedInstance(placed: PlacedInstance("1g.5gb", at: i), gpuInstanceID: UInt32(i + 1), computeInstanceIDs: ids.indices.map { UInt32($0) }, migUUIDs: ids)
        }
        return ObservedGPU(index: index, name: "NVIDIA A100-SXM4-40GB", product: "NVIDIA-A100-SXM4-40GB", migMode: .enabled, instances: instances, profiles: [])
    }

    static let gpus = [gpu(0, uuids: [["MIG-a"], ["MIG-b"], []]), gpu(1, uuids: [["MIG-c"]])]

    @Test("UUIDs of the node's MIG devices match, from List and GetAllocatableResources alike")
    func matching() {
        #expect(DeviceIdentity.unmatched(allocated: ["MIG-a"], allocatable: ["MIG-a", "MIG-b", "MIG-c"], gpus: Self.gpus).isEmpty)
        #expect(DeviceIdentity.unmatched(allocated: [], allocatable: nil, gpus: Self.gpus).isEmpty)
        #expect(DeviceIdentity.unmatched(allocated: [], allocatable: [], gpus: []).isEmpty)
    }

    @Test("index ids, unknown UUIDs and GPU UUIDs do not match, from either source; sorted, once each")
    func unmatched() {
        #expect(DeviceIdentity.unmatched(allocated: ["0:1", "MIG-a"], allocatable: ["0:1", "0:0", "MIG-b"], gpus: Self.gpus) == ["0:0", "0:1"])
        #expect(DeviceIdentity.unmatched(allocated: ["MIG-gone"], allocatable: nil, gpus: Self.gpus) == ["MIG-gone"])
        #expect(DeviceIdentity.unmatched(allocated: [], allocatable: ["GPU-1234"], gpus: Self.gpus) == ["GPU-1234"])
        #expect(DeviceIdentity.unmatched(allocated: ["MIG-a"], allocatable: nil, gpus: []) == ["MIG-a"], "no GPU read: nothing matches")
    }

    @Test("the message names a few ids, counts them all, and says what to change")
    func message() {
        let ids = (0..<7).map { "0:\($0)" }
        let text = DeviceIdentity.message(ids)
        #expect(text.contains("0:0, 0:1, 0:2 and 4 more (7 in all)"))
        #expect(!text.contains("0:3"))
        #expect(text.contains("deviceIDStrategy=uuid"))
        #expect(text.contains("GPU Operator's default"))
        #expect(DeviceIdentity.message(["0:0"]).contains("0:0;"))
        let stale = DeviceIdentity.message(["MIG-gone"])
        #expect(stale.contains("no longer exist") && !stale.contains("deviceIDStrategy"), "a UUID that is gone is not a naming problem")
        #expect(DeviceIdentity.message(["MIG-gone", "0:1"]).contains("deviceIDStrategy=uuid"))
    }
}

/// What the agent refuses to start with.
@Suite("MIGAgentConfig.validate")
struct MIGAgentConfigValidationTests {
    @Test("delete-pod pause mode is refused unless allowChangesWhileAdvertised; the error names both fields")
    func deletePodNeedsExplicitAllowance() throws {
        var config = MIGAgentConfig(nodeName: "n")
        try config.validate()
        config.pause = DevicePluginPause(mode: .deletePod)
        #expect {
            try config.validate()
        } throws: { error in
            guard case .configuration(let text) = error as? MIGAgentError else { return false }
            return text.contains("delete-pod") && text.contains("allowChangesWhileAdvertised")
        }
        config.allowChangesWhileAdvertised = true
        try config.validate()
        config.pause = DevicePluginPause(mode: .ownLabel)
        config.allowChangesWhileAdvertised = false
        try config.validate()
    }
}
