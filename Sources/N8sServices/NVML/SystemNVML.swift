import N8sCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real NVML, loaded with `dlopen` from `libnvidia-ml.so.1` for each action.
///
/// Nothing is linked at build time: on a machine without the NVIDIA driver every action throws
/// ``NVMLError/unavailable(_:)`` with `dlerror()`'s text, and the agent reports `NVMLUnavailable`.
/// Privileges: creating and destroying instances needs the `mig/config` capability (root).
public struct SystemNVML: NVMLLibrary {
    /// The library file name or path given to `dlopen`.
    public var path: String

    public init(path: String = "libnvidia-ml.so.1") { self.path = path }

    public func withSession<T>(_ body: (any NVMLSession) throws -> T) throws -> T {
        let session = try SystemNVMLSession(path: path)
        defer { session.close() }
        return try body(session)
    }
}

/// One open library: `dlopen` + `nvmlInit_v2` in `init`, `nvmlShutdown` + `dlclose` in ``close()``.
final class SystemNVMLSession: NVMLSession {
    let handle: UnsafeMutableRawPointer
    let api: NVMLFunctions

    init(path: String) throws(NVMLError) {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "dlopen(\(path)) failed"
            throw .unavailable(reason)
        }
        self.handle = handle
        let api = NVMLFunctions(handle: handle)
        self.api = api
        do {
            let initialise = try api.required(api.initV2, "nvmlInit_v2")
            try check(initialise(), "nvmlInit_v2")
        } catch {
            dlclose(handle)
            if case .call(_, let code) = error, code == .driverNotLoaded || code == .libraryNotFound {
                throw .unavailable("nvmlInit_v2: \(code)")
            }
            throw error
        }
    }

    func close() {
        _ = api.shutdown?()
        dlclose(handle)
    }

    // MARK: Devices

    func deviceCount() throws(NVMLError) -> Int {
        var n: UInt32 = 0
        try check(try api.required(api.deviceGetCount, "nvmlDeviceGetCount_v2")(&n), "nvmlDeviceGetCount_v2")
        return Int(n)
    }

    func device(_ gpu: Int) throws(NVMLError) -> OpaquePointer {
        guard gpu >= 0, gpu < (try deviceCount()) else { throw .invalidRequest("GPU index \(gpu) does not exist") }
        var dev: OpaquePointer?
        try check(try api.required(api.deviceGetHandleByIndex, "nvmlDeviceGetHandleByIndex_v2")(UInt32(gpu), &dev), "nvmlDeviceGetHandleByIndex_v2")
        guard let dev else { throw .call(function: "nvmlDeviceGetHandleByIndex_v2", code: .unknown) }
        return dev
    }

    func deviceInfo(_ gpu: Int) throws(NVMLError) -> NVMLDeviceInfo {
        let dev = try device(gpu)
        let name = try string(NVMLConstants.deviceNameBufferSize, "nvmlDeviceGetName") { (p, n) throws(NVMLError) in
            try api.required(api.deviceGetName, "nvmlDeviceGetName")(dev, p, n)
        }
        let uuid = try uuid(of: dev)
        var memory = NVMLMemory()
        try check(try api.required(api.deviceGetMemoryInfo, "nvmlDeviceGetMemoryInfo")(dev, &memory), "nvmlDeviceGetMemoryInfo")
        return NVMLDeviceInfo(index: gpu, name: name, uuid: uuid, memoryMiB: Int(memory.total / 1_048_576), migMode: try migMode(dev))
    }

    func migMode(_ dev: OpaquePointer) throws(NVMLError) -> NVMLMigMode? {
        var current: UInt32 = 0
        var pending: UInt32 = 0
        let code = try api.required(api.deviceGetMigMode, "nvmlDeviceGetMigMode")(dev, &current, &pending)
        if code == NVMLReturn.notSupported.rawValue { return nil }
        try check(code, "nvmlDeviceGetMigMode")
        return NVMLMigMode(current: current == NVMLConstants.migModeEnable, pending: pending == NVMLConstants.migModeEnable)
    }

    func uuid(of dev: OpaquePointer) throws(NVMLError) -> String {
        try string(NVMLConstants.uuidBufferSize, "nvmlDeviceGetUUID") { (p, n) throws(NVMLError) in
            try api.required(api.deviceGetUUID, "nvmlDeviceGetUUID")(dev, p, n)
        }
    }

    func string(_ size: Int, _ function: StaticString, _ call: (UnsafeMutablePointer<CChar>, UInt32) throws(NVMLError) -> UInt32) throws(NVMLError) -> String {
        var buffer = [CChar](repeating: 0, count: size)
        let code = try buffer.withUnsafeMutableBufferPointer { (b) throws(NVMLError) -> UInt32 in try call(b.baseAddress!, UInt32(size)) }
        try check(code, function)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Profiles

    func gpuInstanceProfiles(_ gpu: Int) throws(NVMLError) -> [NVMLGPUInstanceProfile] {
        let dev = try device(gpu)
        var memory = NVMLMemory()
        try check(try api.required(api.deviceGetMemoryInfo, "nvmlDeviceGetMemoryInfo")(dev, &memory), "nvmlDeviceGetMemoryInfo")
        let getInfo = try api.required(api.deviceGetGpuInstanceProfileInfo, "nvmlDeviceGetGpuInstanceProfileInfo")
        var out: [NVMLGPUInstanceProfile] = []
        for constant in 0..<NVMLConstants.gpuInstanceProfileCount {
            var info = NVMLGpuInstanceProfileInfo()
            let code = getInfo(dev, constant, &info)
            if code == NVMLReturn.notSupported.rawValue || code == NVMLReturn.invalidArgument.rawValue { continue }
            try check(code, "nvmlDeviceGetGpuInstanceProfileInfo")
            let placements = try possiblePlacements(dev, profileID: info.id)
            out.append(NVMLGPUInstanceProfile(
                constant: constant, id: info.id,
                name: NVMLGPUInstanceProfile.name(computeSlices: Int(info.sliceCount), memoryMiB: Int(info.memorySizeMB), totalMemoryBytes: memory.total, constant: constant),
                computeSlices: Int(info.sliceCount), maxCount: Int(info.instanceCount), memoryMiB: Int(info.memorySizeMB),
                placementSize: Int(placements.first?.size ?? 0), placements: placements.map { Int($0.start) }.sorted()))
        }
        return out
    }

    func possiblePlacements(_ dev: OpaquePointer, profileID: UInt32) throws(NVMLError) -> [NVMLGpuInstancePlacement] {
        let call = try api.required(api.deviceGetGpuInstancePossiblePlacements, "nvmlDeviceGetGpuInstancePossiblePlacements_v2")
        var count: UInt32 = 0
        let sizing = call(dev, profileID, nil, &count)
        if sizing != 0, sizing != NVMLReturn.insufficientSize.rawValue { try check(sizing, "nvmlDeviceGetGpuInstancePossiblePlacements_v2") }
        if count == 0 { return [] }
        var buffer = [NVMLGpuInstancePlacement](repeating: NVMLGpuInstancePlacement(), count: Int(count))
        try check(call(dev, profileID, &buffer, &count), "nvmlDeviceGetGpuInstancePossiblePlacements_v2")
        return Array(buffer.prefix(Int(count)))
    }
}
