import N8sCore

/// Access to NVML: the real library (``SystemNVML``) or a simulated one (`SimulatedNVML` in
/// `N8sSimulation`). Both enforce NVML's rules and report NVML's return codes.
///
/// The library is opened around each action (``withSession(_:)``: `dlopen` + `nvmlInit_v2`, the
/// body, `nvmlShutdown` + `dlclose`), so n8s never blocks a driver upgrade between actions.
public protocol NVMLLibrary: Sendable {
    /// Opens the library, runs `body`, and closes it again, also when `body` throws.
    /// - Throws: ``NVMLError/unavailable(_:)`` when the library cannot be loaded or initialised,
    ///   or what `body` throws.
    func withSession<T>(_ body: (any NVMLSession) throws -> T) throws -> T
}

/// The NVML calls n8s uses, on an open library. GPUs are named by index (`0..<deviceCount()`).
/// Every method throws ``NVMLError`` naming the C function and its return code.
public protocol NVMLSession {
    /// `nvmlDeviceGetCount_v2`.
    func deviceCount() throws(NVMLError) -> Int
    /// Name, UUID, memory and MIG mode of one GPU (`nvmlDeviceGetName`, `GetUUID`, `GetMemoryInfo`,
    /// `GetMigMode`).
    func deviceInfo(_ gpu: Int) throws(NVMLError) -> NVMLDeviceInfo
    /// Every GPU-instance profile the GPU supports with its possible placements
    /// (`nvmlDeviceGetGpuInstanceProfileInfo` for each constant, then
    /// `nvmlDeviceGetGpuInstancePossiblePlacements_v2`). Empty for a GPU without MIG support.
    func gpuInstanceProfiles(_ gpu: Int) throws(NVMLError) -> [NVMLGPUInstanceProfile]
    /// Every GPU instance with its compute instances, their MIG UUIDs and running processes
    /// (`nvmlDeviceGetGpuInstances`, `nvmlGpuInstanceGetInfo`, `nvmlGpuInstanceGetComputeInstances`,
    /// `nvmlComputeInstanceGetInfo_v2`, `nvmlDeviceGetUUID`, `nvmlDeviceGetComputeRunningProcesses_v3`).
    func gpuInstances(_ gpu: Int) throws(NVMLError) -> [NVMLGPUInstance]
    /// `nvmlDeviceCreateGpuInstanceWithPlacement`.
    /// - Returns: the new GPU instance id.
    /// - Throws: `INSUFFICIENT_RESOURCES` for an occupied range or a full profile, `INVALID_ARGUMENT`
    ///   for a start NVML does not allow.
    func createGPUInstance(_ gpu: Int, profileID: UInt32, start: Int) throws(NVMLError) -> UInt32
    /// Creates the compute instance spanning the whole GPU instance
    /// (`nvmlGpuInstanceGetComputeInstanceProfileInfo`, `nvmlGpuInstanceCreateComputeInstance`).
    func createComputeInstance(_ gpu: Int, gpuInstance: UInt32) throws(NVMLError) -> NVMLComputeInstance
    /// `nvmlComputeInstanceDestroy`; `IN_USE` while processes run on it.
    func destroyComputeInstance(_ gpu: Int, gpuInstance: UInt32, computeInstance: UInt32) throws(NVMLError)
    /// `nvmlGpuInstanceDestroy`; `IN_USE` while it has compute instances or processes.
    func destroyGPUInstance(_ gpu: Int, gpuInstance: UInt32) throws(NVMLError)
}

/// One physical GPU as NVML reports it.
public struct NVMLDeviceInfo: Sendable, Hashable {
    public var index: Int
    /// `nvmlDeviceGetName`, e.g. `NVIDIA A100-SXM4-40GB`.
    public var name: String
    /// `GPU-…`.
    public var uuid: String
    /// Total memory, MiB.
    public var memoryMiB: Int
    /// `nil` when the GPU does not support MIG (`NOT_SUPPORTED` from `nvmlDeviceGetMigMode`).
    public var migMode: NVMLMigMode?

    public init(index: Int, name: String, uuid: String, memoryMiB: Int, migMode: NVMLMigMode?) {
        self.index = index
        self.name = name
        self.uuid = uuid
        self.memoryMiB = memoryMiB
        self.migMode = migMode
    }

    /// GPU Feature Discovery's `nvidia.com/gpu.product` form: spaces → `-`, characters outside
    /// `[A-Za-z0-9-_.]` dropped (`NVIDIA A100-SXM4-40GB` → `NVIDIA-A100-SXM4-40GB`).
    public var productLabel: String {
        String(name.replacingOccurrences(of: " ", with: "-").unicodeScalars.filter {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
        }.map(Character.init))
    }
}

/// MIG mode: current and pending (a change waiting for a GPU reset when they differ).
public struct NVMLMigMode: Sendable, Hashable {
    public var current: Bool
    public var pending: Bool
    public init(current: Bool, pending: Bool) {
        self.current = current
        self.pending = pending
    }
}

extension NVMLGPUInstanceProfile {
    /// go-nvlib's profile name: `<g>g.<GB>gb<suffix>` with
    /// `GB = round(ceil(8·memoryMiB·2²⁰ / totalBytes) / 8 · ceil(totalBytes / 2³⁰))`.
    /// - Parameters: totalMemoryBytes: the parent GPU's `nvmlDeviceGetMemoryInfo().total`.
    public static func name(computeSlices: Int, memoryMiB: Int, totalMemoryBytes: UInt64, constant: UInt32) -> String {
        guard totalMemoryBytes > 0 else { return "\(computeSlices)g.0gb" + NVMLConstants.profileSuffix(ofConstant: constant) }
        let total = Double(totalMemoryBytes)
        let eighths = (8 * Double(memoryMiB) * 1_048_576 / total).rounded(.up)
        let gib = (total / 1_073_741_824).rounded(.up)
        let gb = Int((eighths / 8 * gib).rounded())
        return "\(computeSlices)g.\(gb)gb" + NVMLConstants.profileSuffix(ofConstant: constant)
    }
}

/// One GPU instance and what it holds.
public struct NVMLGPUInstance: Sendable, Hashable {
    public var id: UInt32
    /// The profile's `info.id`.
    public var profileID: UInt32
    /// First placement-grid unit.
    public var start: Int
    public var size: Int
    public var computeInstances: [NVMLComputeInstance]

    public init(id: UInt32, profileID: UInt32, start: Int, size: Int, computeInstances: [NVMLComputeInstance]) {
        self.id = id
        self.profileID = profileID
        self.start = start
        self.size = size
        self.computeInstances = computeInstances
    }

    /// Processes on all of its compute instances.
    public var processCount: Int { computeInstances.reduce(0) { $0 + $1.processCount } }
}

/// One compute instance: with its GPU instance, a MIG device.
public struct NVMLComputeInstance: Sendable, Hashable {
    public var id: UInt32
    /// `MIG-…`: the device id the device plugin and the kubelet use.
    public var migUUID: String
    /// Processes NVML reports on it.
    public var processCount: Int

    public init(id: UInt32, migUUID: String, processCount: Int) {
        self.id = id
        self.migUUID = migUUID
        self.processCount = processCount
    }
}
