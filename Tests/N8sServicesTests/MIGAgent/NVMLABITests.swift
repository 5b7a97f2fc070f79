import N8sCore
import N8sServices
import Testing

/// The Swift declarations of NVML's structs must have the C layout of the NVML API 13 header
/// (`mig-facts.md` §5.3) on Linux LP64, and the versioned structs the documented version tags.
@Suite("NVML ABI: struct sizes, offsets and version tags")
struct NVMLABITests {
    @Test("sizes and alignments equal the header's")
    func sizes() {
        #expect(MemoryLayout<NVMLGpuInstancePlacement>.size == 8)
        #expect(MemoryLayout<NVMLGpuInstancePlacement>.alignment == 4)
        #expect(MemoryLayout<NVMLComputeInstancePlacement>.size == 8)
        #expect(MemoryLayout<NVMLGpuInstanceProfileInfo>.size == 48)
        #expect(MemoryLayout<NVMLGpuInstanceProfileInfo>.alignment == 8)
        #expect(MemoryLayout<NVMLGpuInstanceProfileInfoV2>.stride == 152)
        #expect(MemoryLayout<NVMLGpuInstanceProfileInfoV3>.stride == 152)
        #expect(MemoryLayout<NVMLGpuInstanceInfo>.size == 24)
        #expect(MemoryLayout<NVMLComputeInstanceProfileInfo>.size == 36)
        #expect(MemoryLayout<NVMLComputeInstanceProfileInfo>.alignment == 4)
        #expect(MemoryLayout<NVMLComputeInstanceProfileInfoV2>.size == 136)
        #expect(MemoryLayout<NVMLComputeInstanceProfileInfoV3>.size == 140)
        #expect(MemoryLayout<NVMLComputeInstanceProfileInfoV3>.alignment == 4)
        #expect(MemoryLayout<NVMLComputeInstanceInfo>.size == 32)
        #expect(MemoryLayout<NVMLMemory>.size == 24)
        #expect(MemoryLayout<NVMLProcessInfo>.size == 24)
        #expect(MemoryLayout<NVMLChar96>.size == 96)
    }

    @Test("field offsets equal the header's")
    func offsets() {
        #expect(MemoryLayout<NVMLGpuInstanceProfileInfo>.offset(of: \.memorySizeMB) == 40)
        #expect(MemoryLayout<NVMLGpuInstanceProfileInfo>.offset(of: \.ofaCount) == 36)
        #expect(MemoryLayout<NVMLGpuInstanceProfileInfoV2>.offset(of: \.id) == 4)
        #expect(MemoryLayout<NVMLGpuInstanceProfileInfoV2>.offset(of: \.memorySizeMB) == 48)
        #expect(MemoryLayout<NVMLGpuInstanceProfileInfoV2>.offset(of: \.name) == 56)
        #expect(MemoryLayout<NVMLGpuInstanceProfileInfoV3>.offset(of: \.memorySizeMB) == 40)
        #expect(MemoryLayout<NVMLGpuInstanceProfileInfoV3>.offset(of: \.name) == 48)
        #expect(MemoryLayout<NVMLGpuInstanceProfileInfoV3>.offset(of: \.capabilities) == 144)
        #expect(MemoryLayout<NVMLGpuInstanceInfo>.offset(of: \.id) == 8)
        #expect(MemoryLayout<NVMLGpuInstanceInfo>.offset(of: \.profileId) == 12)
        #expect(MemoryLayout<NVMLGpuInstanceInfo>.offset(of: \.placement) == 16)
        #expect(MemoryLayout<NVMLComputeInstanceProfileInfoV2>.offset(of: \.name) == 40)
        #expect(MemoryLayout<NVMLComputeInstanceProfileInfoV3>.offset(of: \.capabilities) == 136)
        #expect(MemoryLayout<NVMLComputeInstanceInfo>.offset(of: \.gpuInstance) == 8)
        #expect(MemoryLayout<NVMLComputeInstanceInfo>.offset(of: \.id) == 16)
        #expect(MemoryLayout<NVMLComputeInstanceInfo>.offset(of: \.placement) == 24)
        #expect(MemoryLayout<NVMLProcessInfo>.offset(of: \.usedGpuMemory) == 8)
        #expect(MemoryLayout<NVMLProcessInfo>.offset(of: \.gpuInstanceId) == 16)
        #expect(MemoryLayout<NVMLProcessInfo>.offset(of: \.computeInstanceId) == 20)
    }

    @Test("version tags are sizeof | version << 24, as documented")
    func versions() {
        #expect(NVMLGpuInstanceProfileInfoV2.version == 0x0200_0098)
        #expect(NVMLGpuInstanceProfileInfoV3.version == 0x0300_0098)
        #expect(NVMLComputeInstanceProfileInfoV2.version == 0x0200_0088)
        #expect(NVMLComputeInstanceProfileInfoV3.version == 0x0300_008C)
        #expect(NVMLGpuInstanceProfileInfoV3().version == 0x0300_0098)
    }

    @Test("every return code maps to an error naming the call and the code")
    func errors() {
        let e = NVMLError.call(function: "nvmlGpuInstanceDestroy", code: .inUse)
        #expect(e.isInUse)
        #expect(e.description == "nvmlGpuInstanceDestroy failed: NVML_ERROR_IN_USE (19, in use by another client)")
        #expect(NVMLReturn(rawValue: 23).name == "NVML_ERROR_INSUFFICIENT_RESOURCES")
        #expect(NVMLReturn(rawValue: 0).name == "NVML_SUCCESS")
        #expect(NVMLReturn(rawValue: 12345).name == "NVML_ERROR_12345")
        for code in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 999] as [UInt32] {
            #expect(!NVMLReturn(rawValue: code).name.hasPrefix("NVML_ERROR_\(code)"), "code \(code) has a name")
        }
    }

    @Test("without libnvidia-ml.so.1 every action reports NVMLUnavailable, and does not crash")
    func unavailable() {
        let nvml = SystemNVML(path: "libnvidia-ml-does-not-exist.so.1")
        #expect {
            try nvml.withSession { try $0.deviceCount() }
        } throws: { ($0 as? NVMLError)?.isUnavailable == true }
    }

    @Test("go-nvlib profile names from NVML memory sizes", arguments: [
        (7, 40448, 0, "7g.40gb"), (1, 4864, 0, "1g.5gb"), (1, 9984, 9, "1g.10gb"), (3, 20096, 2, "3g.20gb"), (1, 4864, 7, "1g.5gb+me"),
    ])
    func names(slices: Int, mib: Int, constant: UInt32, expected: String) {
        // A100-SXM4-40GB: nvmlDeviceGetMemoryInfo total = 40 GiB.
        #expect(NVMLGPUInstanceProfile.name(computeSlices: slices, memoryMiB: mib, totalMemoryBytes: 40 * 1 << 30, constant: constant) == expected)
    }

    @Test("GPU Feature Discovery product form of an NVML name")
    func product() {
        #expect(NVMLDeviceInfo(index: 0, name: "NVIDIA A100-SXM4-40GB", uuid: "", memoryMiB: 0, migMode: nil).productLabel == "NVIDIA-A100-SXM4-40GB")
        #expect(NVMLDeviceInfo(index: 0, name: "NVIDIA H100 80GB HBM3", uuid: "", memoryMiB: 0, migMode: nil).productLabel == "NVIDIA-H100-80GB-HBM3")
    }
}
