// The C structs of NVML that n8s passes by pointer, declared as Swift structs with the same
// field order, so Swift's layout (declaration order, natural alignment) equals the C layout on
// Linux LP64. Source: NVML API 13 header, offsets in `mig-facts.md` §5.3; the sizes, offsets and
// version tags are checked by `NVMLABITests`.

/// Version tags use `stride`: Swift's stride of these structs is C's `sizeof` (trailing padding included).

/// `char[96]` inside a struct: 96 bytes, 4-byte aligned (24 × UInt32), so it never changes the
/// alignment of a struct it is part of.
public struct NVMLChar96: Sendable {
    var words: (
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32
    ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    public init() {}

    /// The bytes up to the first NUL, as UTF-8 (invalid bytes replaced).
    public var string: String {
        withUnsafeBytes(of: words) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// `nvmlGpuInstancePlacement_t` (8 bytes): `start` and `size` in placement-grid units.
public struct NVMLGpuInstancePlacement: Sendable, Hashable {
    public var start: UInt32 = 0
    public var size: UInt32 = 0
    public init(start: UInt32 = 0, size: UInt32 = 0) {
        self.start = start
        self.size = size
    }
}

/// `nvmlComputeInstancePlacement_t` (8 bytes): start and size in compute slices inside the GI.
public struct NVMLComputeInstancePlacement: Sendable, Hashable {
    public var start: UInt32 = 0
    public var size: UInt32 = 0
}

/// `nvmlGpuInstanceProfileInfo_t` (v1, 48 bytes): what `nvmlDeviceGetGpuInstanceProfileInfo` fills.
public struct NVMLGpuInstanceProfileInfo: Sendable {
    /// The profile id of the placement/create/list calls (`nvidia-smi mig -lgip` ID column).
    public var id: UInt32 = 0
    public var isP2pSupported: UInt32 = 0
    /// Compute slices ("g").
    public var sliceCount: UInt32 = 0
    /// Most instances of this profile on the GPU.
    public var instanceCount: UInt32 = 0
    public var multiprocessorCount: UInt32 = 0
    public var copyEngineCount: UInt32 = 0
    public var decoderCount: UInt32 = 0
    public var encoderCount: UInt32 = 0
    public var jpegCount: UInt32 = 0
    public var ofaCount: UInt32 = 0
    /// Memory of one instance, MiB.
    public var memorySizeMB: UInt64 = 0
    public init() {}
}

/// `nvmlGpuInstanceProfileInfo_v2_t` (152 bytes), version tag ``version``.
public struct NVMLGpuInstanceProfileInfoV2: Sendable {
    public static let version: UInt32 = UInt32(MemoryLayout<NVMLGpuInstanceProfileInfoV2>.stride) | (2 << 24)
    public var version: UInt32 = NVMLGpuInstanceProfileInfoV2.version
    public var id: UInt32 = 0
    public var isP2pSupported: UInt32 = 0
    public var sliceCount: UInt32 = 0
    public var instanceCount: UInt32 = 0
    public var multiprocessorCount: UInt32 = 0
    public var copyEngineCount: UInt32 = 0
    public var decoderCount: UInt32 = 0
    public var encoderCount: UInt32 = 0
    public var jpegCount: UInt32 = 0
    public var ofaCount: UInt32 = 0
    public var memorySizeMB: UInt64 = 0
    public var name = NVMLChar96()
    public init() {}
}

/// `nvmlGpuInstanceProfileInfo_v3_t` (152 bytes): no `isP2pSupported`, `capabilities` at the end.
public struct NVMLGpuInstanceProfileInfoV3: Sendable {
    public static let version: UInt32 = UInt32(MemoryLayout<NVMLGpuInstanceProfileInfoV3>.stride) | (3 << 24)
    public var version: UInt32 = NVMLGpuInstanceProfileInfoV3.version
    public var id: UInt32 = 0
    public var sliceCount: UInt32 = 0
    public var instanceCount: UInt32 = 0
    public var multiprocessorCount: UInt32 = 0
    public var copyEngineCount: UInt32 = 0
    public var decoderCount: UInt32 = 0
    public var encoderCount: UInt32 = 0
    public var jpegCount: UInt32 = 0
    public var ofaCount: UInt32 = 0
    public var memorySizeMB: UInt64 = 0
    public var name = NVMLChar96()
    /// Bits: P2P 0x1, GFX 0x2.
    public var capabilities: UInt32 = 0
    public init() {}
}

/// `nvmlGpuInstanceInfo_t` (24 bytes).
public struct NVMLGpuInstanceInfo {
    public var device: OpaquePointer? = nil
    /// The GPU instance id (not tied to the placement).
    public var id: UInt32 = 0
    /// The profile's `info.id`.
    public var profileId: UInt32 = 0
    public var placement = NVMLGpuInstancePlacement()
    public init() {}
}

/// `nvmlComputeInstanceProfileInfo_t` (v1, 36 bytes).
public struct NVMLComputeInstanceProfileInfo: Sendable {
    public var id: UInt32 = 0
    public var sliceCount: UInt32 = 0
    public var instanceCount: UInt32 = 0
    public var multiprocessorCount: UInt32 = 0
    public var sharedCopyEngineCount: UInt32 = 0
    public var sharedDecoderCount: UInt32 = 0
    public var sharedEncoderCount: UInt32 = 0
    public var sharedJpegCount: UInt32 = 0
    public var sharedOfaCount: UInt32 = 0
    public init() {}
}

/// `nvmlComputeInstanceProfileInfo_v2_t` (136 bytes).
public struct NVMLComputeInstanceProfileInfoV2: Sendable {
    public static let version: UInt32 = UInt32(MemoryLayout<NVMLComputeInstanceProfileInfoV2>.stride) | (2 << 24)
    public var version: UInt32 = NVMLComputeInstanceProfileInfoV2.version
    public var id: UInt32 = 0
    public var sliceCount: UInt32 = 0
    public var instanceCount: UInt32 = 0
    public var multiprocessorCount: UInt32 = 0
    public var sharedCopyEngineCount: UInt32 = 0
    public var sharedDecoderCount: UInt32 = 0
    public var sharedEncoderCount: UInt32 = 0
    public var sharedJpegCount: UInt32 = 0
    public var sharedOfaCount: UInt32 = 0
    public var name = NVMLChar96()
    public init() {}
}

/// `nvmlComputeInstanceProfileInfo_v3_t` (140 bytes): v2 plus `capabilities`.
public struct NVMLComputeInstanceProfileInfoV3: Sendable {
    public static let version: UInt32 = UInt32(MemoryLayout<NVMLComputeInstanceProfileInfoV3>.stride) | (3 << 24)
    public var version: UInt32 = NVMLComputeInstanceProfileInfoV3.version
    public var id: UInt32 = 0
    public var sliceCount: UInt32 = 0
    public var instanceCount: UInt32 = 0
    public var multiprocessorCount: UInt32 = 0
    public var sharedCopyEngineCount: UInt32 = 0
    public var sharedDecoderCount: UInt32 = 0
    public var sharedEncoderCount: UInt32 = 0
    public var sharedJpegCount: UInt32 = 0
    public var sharedOfaCount: UInt32 = 0
    public var name = NVMLChar96()
    public var capabilities: UInt32 = 0
    public init() {}
}

/// `nvmlComputeInstanceInfo_t` (32 bytes); `device` is the MIG device handle.
public struct NVMLComputeInstanceInfo {
    public var device: OpaquePointer? = nil
    public var gpuInstance: OpaquePointer? = nil
    public var id: UInt32 = 0
    public var profileId: UInt32 = 0
    public var placement = NVMLComputeInstancePlacement()
    public init() {}
}

/// `nvmlMemory_t` (24 bytes), bytes.
public struct NVMLMemory: Sendable {
    public var total: UInt64 = 0
    public var free: UInt64 = 0
    public var used: UInt64 = 0
    public init() {}
}

/// `nvmlProcessInfo_t` (24 bytes), as `nvmlDeviceGetComputeRunningProcesses_v3` fills it.
public struct NVMLProcessInfo: Sendable {
    public var pid: UInt32 = 0
    /// Bytes.
    public var usedGpuMemory: UInt64 = 0
    /// `0xFFFFFFFF` when not a MIG process.
    public var gpuInstanceId: UInt32 = 0
    public var computeInstanceId: UInt32 = 0
    public init() {}
}

/// NVML constants n8s uses (`mig-facts.md` §5.2).
public enum NVMLConstants {
    public static let migModeDisable: UInt32 = 0
    public static let migModeEnable: UInt32 = 1
    /// `NVML_GPU_INSTANCE_PROFILE_COUNT` of the newest header: iterate `0..<` it and skip
    /// NOT_SUPPORTED / INVALID_ARGUMENT (older drivers know fewer).
    public static let gpuInstanceProfileCount: UInt32 = 0x12
    /// `NVML_COMPUTE_INSTANCE_PROFILE_*` constants tried when creating a CI, `1_SLICE_REV1` (7) and
    /// `7_SLICE_NVL` (8) skipped as NVIDIA's DRA driver does.
    public static let computeInstanceProfiles: [UInt32] = [0, 1, 2, 3, 4, 5, 6]
    public static let computeInstanceEngineProfileShared: UInt32 = 0
    /// Device name and UUID buffers (v2 sizes).
    public static let deviceNameBufferSize = 96
    public static let uuidBufferSize = 96

    /// Profile-name suffix of a GPU-instance profile constant (go-nvlib's rules): `REV1` → `+me`,
    /// `ALL_ME` → `+me.all`, `GFX` → `+gfx`, `NO_ME` → `-me`; `REV2` (double memory) has none.
    public static func profileSuffix(ofConstant constant: UInt32) -> String {
        switch constant {
        case 0x7, 0x8: "+me"
        case 0xA, 0xB, 0xC, 0x11: "+gfx"
        case 0xD, 0xE: "-me"
        case 0xF, 0x10: "+me.all"
        default: ""
        }
    }
}
