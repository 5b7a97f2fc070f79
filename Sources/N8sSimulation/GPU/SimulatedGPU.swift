import N8sCore
import N8sServices

/// One simulated MIG GPU: a catalog model's rules, a MIG mode, and its GPU/compute instances.
///
/// Enforces what NVML enforces (explicit placements only, no overlap, per-profile maximum,
/// compute slices, media-extension rules, destroy refused while in use) with NVML's codes, by
/// its own bit-mask check of the placement table (``placementError(profile:start:)``), not by
/// N8sCore's layout code.
/// Profile ids are synthetic (the catalog's profile order), stable for one model.
public struct SimulatedGPU: Sendable, Hashable {
    public struct ComputeInstance: Sendable, Hashable {
        public var id: UInt32
        public var migUUID: String
        /// Processes running on the MIG device.
        public var processes: Int
    }

    public struct GPUInstance: Sendable, Hashable {
        public var id: UInt32
        public var profile: String
        public var start: Int
        public var computeInstances: [ComputeInstance]
    }

    public let model: GPUModel
    /// `nvmlDeviceGetName`.
    public var name: String
    public var uuid: String
    public var memoryMiB: Int
    public var migEnabled: Bool
    /// The mode after the next reset; differs from ``migEnabled`` while a change is pending (C03).
    public var migPending: Bool
    public var instances: [GPUInstance] = []
    var nextGPUInstanceID: UInt32 = 1
    var nextComputeInstanceID: UInt32 = 0

    /// - Parameters: model: a catalog model with a known grid; `name` defaults to its first product.
    public init(model: GPUModel, index: Int, name: String? = nil, migEnabled: Bool = true) {
        self.model = model
        self.name = name ?? model.products.first ?? model.id
        self.uuid = SimulatedGPU.uuid(prefix: "GPU", seed: UInt64(index) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(model.id.hashValue & 0xFFFF))
        self.memoryMiB = model.profiles.compactMap(\.memoryMiB).max() ?? 40_960
        self.migEnabled = migEnabled
        self.migPending = migEnabled
        self.profiles = NVMLModel.profiles(of: model)
    }

    /// Profiles NVML would report: every placeable catalog profile, id = catalog position.
    public let profiles: [NVMLGPUInstanceProfile]

    /// The current layout (every GPU instance, orphans included).
    public var layout: [PlacedInstance] { instances.map { PlacedInstance($0.profile, at: $0.start) }.sorted() }

    mutating func createGPUInstance(profileID: UInt32, start: Int, uuidSeed: UInt64) throws(NVMLError) -> UInt32 {
        let f = "nvmlDeviceCreateGpuInstanceWithPlacement"
        guard migEnabled else { throw .call(function: f, code: .notSupported) }
        guard let profile = profiles.first(where: { $0.id == profileID }) else { throw .call(function: f, code: .invalidArgument) }
        if let code = placementError(profile: profile, start: start) { throw .call(function: f, code: code) }
        let id = nextGPUInstanceID
        nextGPUInstanceID += 1
        instances.append(GPUInstance(id: id, profile: profile.name, start: start, computeInstances: []))
        return id
    }

    mutating func createComputeInstance(gpuInstance: UInt32, uuidSeed: UInt64) throws(NVMLError) -> NVMLComputeInstance {
        guard let i = instances.firstIndex(where: { $0.id == gpuInstance }) else {
            throw .call(function: "nvmlDeviceGetGpuInstanceById", code: .notFound)
        }
        guard instances[i].computeInstances.isEmpty else {
            throw .call(function: "nvmlGpuInstanceCreateComputeInstance", code: .insufficientResources)
        }
        let ci = ComputeInstance(id: nextComputeInstanceID, migUUID: SimulatedGPU.uuid(prefix: "MIG", seed: uuidSeed), processes: 0)
        nextComputeInstanceID += 1
        instances[i].computeInstances.append(ci)
        return NVMLComputeInstance(id: ci.id, migUUID: ci.migUUID, processCount: 0)
    }

    mutating func destroyComputeInstance(gpuInstance: UInt32, computeInstance: UInt32) throws(NVMLError) {
        guard let i = instances.firstIndex(where: { $0.id == gpuInstance }) else {
            throw .call(function: "nvmlDeviceGetGpuInstanceById", code: .notFound)
        }
        guard let j = instances[i].computeInstances.firstIndex(where: { $0.id == computeInstance }) else {
            throw .call(function: "nvmlGpuInstanceGetComputeInstanceById", code: .notFound)
        }
        guard instances[i].computeInstances[j].processes == 0 else { throw .call(function: "nvmlComputeInstanceDestroy", code: .inUse) }
        instances[i].computeInstances.remove(at: j)
    }

    mutating func destroyGPUInstance(_ gpuInstance: UInt32) throws(NVMLError) {
        guard let i = instances.firstIndex(where: { $0.id == gpuInstance }) else {
            throw .call(function: "nvmlDeviceGetGpuInstanceById", code: .notFound)
        }
        guard instances[i].computeInstances.isEmpty else { throw .call(function: "nvmlGpuInstanceDestroy", code: .inUse) }
        instances.remove(at: i)
    }

    /// A version-5-shaped UUID, `MIG-xxxxxxxx-xxxx-5xxx-8xxx-xxxxxxxxxxxx`, from a seed.
    static func uuid(prefix: String, seed: UInt64) -> String {
        var x = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        let a = next(), b = next()
        func hex(_ v: UInt64, _ n: Int) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: max(0, n - s.count)) + s.suffix(n)
        }
        return "\(prefix)-\(hex(a >> 32, 8))-\(hex((a >> 16) & 0xFFFF, 4))-5\(hex(a & 0xFFF, 3))-8\(hex(b >> 52, 3))-\(hex(b & 0xFFFF_FFFF_FFFF, 12))"
    }
}
