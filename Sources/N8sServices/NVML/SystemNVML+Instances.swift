#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SystemNVMLSession {
    func gpuInstances(_ gpu: Int) throws(NVMLError) -> [NVMLGPUInstance] {
        let dev = try device(gpu)
        let processes = try runningProcesses(dev)
        let list = try api.required(api.deviceGetGpuInstances, "nvmlDeviceGetGpuInstances")
        var out: [NVMLGPUInstance] = []
        for profile in try gpuInstanceProfiles(gpu) {
            var count = UInt32(max(profile.maxCount, 1))
            var handles = [OpaquePointer?](repeating: nil, count: Int(count))
            try check(list(dev, profile.id, &handles, &count), "nvmlDeviceGetGpuInstances")
            for gi in handles.prefix(Int(count)).compactMap({ $0 }) {
                var info = NVMLGpuInstanceInfo()
                try check(try api.required(api.gpuInstanceGetInfo, "nvmlGpuInstanceGetInfo")(gi, &info), "nvmlGpuInstanceGetInfo")
                let cis = try computeInstances(gi, gpuInstanceID: info.id, processes: processes)
                out.append(NVMLGPUInstance(id: info.id, profileID: info.profileId, start: Int(info.placement.start), size: Int(info.placement.size), computeInstances: cis))
            }
        }
        return out.sorted { $0.start < $1.start }
    }

    func computeInstances(_ gi: OpaquePointer, gpuInstanceID: UInt32, processes: [NVMLProcessInfo]) throws(NVMLError) -> [NVMLComputeInstance] {
        let profileInfo = try api.required(api.gpuInstanceGetComputeInstanceProfileInfo, "nvmlGpuInstanceGetComputeInstanceProfileInfo")
        let list = try api.required(api.gpuInstanceGetComputeInstances, "nvmlGpuInstanceGetComputeInstances")
        let getInfo = try api.required(api.computeInstanceGetInfo, "nvmlComputeInstanceGetInfo_v2")
        var out: [NVMLComputeInstance] = []
        var seenProfiles = Set<UInt32>()
        for constant in UInt32(0)..<9 {
            var p = NVMLComputeInstanceProfileInfo()
            let code = profileInfo(gi, constant, NVMLConstants.computeInstanceEngineProfileShared, &p)
            if code != 0 { continue }
            guard seenProfiles.insert(p.id).inserted else { continue }
            var count = UInt32(max(p.instanceCount, 1))
            var handles = [OpaquePointer?](repeating: nil, count: Int(count))
            try check(list(gi, p.id, &handles, &count), "nvmlGpuInstanceGetComputeInstances")
            for ci in handles.prefix(Int(count)).compactMap({ $0 }) {
                var info = NVMLComputeInstanceInfo()
                try check(getInfo(ci, &info), "nvmlComputeInstanceGetInfo_v2")
                let migUUID = try info.device.map { (d) throws(NVMLError) in try self.uuid(of: d) } ?? ""
                let n = processes.filter { $0.gpuInstanceId == gpuInstanceID && $0.computeInstanceId == info.id }.count
                out.append(NVMLComputeInstance(id: info.id, migUUID: migUUID, processCount: n))
            }
        }
        return out
    }

    /// Compute processes of the parent GPU, each with its GPU/compute instance ids.
    func runningProcesses(_ dev: OpaquePointer) throws(NVMLError) -> [NVMLProcessInfo] {
        let call = try api.required(api.deviceGetComputeRunningProcesses, "nvmlDeviceGetComputeRunningProcesses_v3")
        var count: UInt32 = 0
        let sizing = call(dev, &count, nil)
        if sizing == 0 || count == 0 { return [] }
        if sizing != NVMLReturn.insufficientSize.rawValue { try check(sizing, "nvmlDeviceGetComputeRunningProcesses_v3") }
        count += 8  // processes may start between the two calls
        var buffer = [NVMLProcessInfo](repeating: NVMLProcessInfo(), count: Int(count))
        try check(call(dev, &count, &buffer), "nvmlDeviceGetComputeRunningProcesses_v3")
        return Array(buffer.prefix(Int(count)))
    }

    func gpuInstanceHandle(_ dev: OpaquePointer, _ id: UInt32) throws(NVMLError) -> OpaquePointer {
        var gi: OpaquePointer?
        try check(try api.required(api.deviceGetGpuInstanceById, "nvmlDeviceGetGpuInstanceById")(dev, id, &gi), "nvmlDeviceGetGpuInstanceById")
        guard let gi else { throw .call(function: "nvmlDeviceGetGpuInstanceById", code: .notFound) }
        return gi
    }

    func createGPUInstance(_ gpu: Int, profileID: UInt32, start: Int) throws(NVMLError) -> UInt32 {
        let dev = try device(gpu)
        guard let size = try possiblePlacements(dev, profileID: profileID).first(where: { $0.start == UInt32(start) })?.size else {
            throw .call(function: "nvmlDeviceCreateGpuInstanceWithPlacement", code: .invalidArgument)
        }
        var placement = NVMLGpuInstancePlacement(start: UInt32(start), size: size)
        var gi: OpaquePointer?
        try check(try api.required(api.deviceCreateGpuInstanceWithPlacement, "nvmlDeviceCreateGpuInstanceWithPlacement")(dev, profileID, &placement, &gi), "nvmlDeviceCreateGpuInstanceWithPlacement")
        guard let gi else { throw .call(function: "nvmlDeviceCreateGpuInstanceWithPlacement", code: .unknown) }
        var info = NVMLGpuInstanceInfo()
        try check(try api.required(api.gpuInstanceGetInfo, "nvmlGpuInstanceGetInfo")(gi, &info), "nvmlGpuInstanceGetInfo")
        return info.id
    }

    func createComputeInstance(_ gpu: Int, gpuInstance: UInt32) throws(NVMLError) -> NVMLComputeInstance {
        let dev = try device(gpu)
        let gi = try gpuInstanceHandle(dev, gpuInstance)
        let profileInfo = try api.required(api.gpuInstanceGetComputeInstanceProfileInfo, "nvmlGpuInstanceGetComputeInstanceProfileInfo")
        var best: NVMLComputeInstanceProfileInfo?
        for constant in NVMLConstants.computeInstanceProfiles {
            var p = NVMLComputeInstanceProfileInfo()
            guard profileInfo(gi, constant, NVMLConstants.computeInstanceEngineProfileShared, &p) == 0 else { continue }
            if p.sliceCount > (best?.sliceCount ?? 0) { best = p }
        }
        guard let best else { throw .call(function: "nvmlGpuInstanceGetComputeInstanceProfileInfo", code: .notSupported) }
        var ci: OpaquePointer?
        try check(try api.required(api.gpuInstanceCreateComputeInstance, "nvmlGpuInstanceCreateComputeInstance")(gi, best.id, &ci), "nvmlGpuInstanceCreateComputeInstance")
        guard let ci else { throw .call(function: "nvmlGpuInstanceCreateComputeInstance", code: .unknown) }
        var info = NVMLComputeInstanceInfo()
        try check(try api.required(api.computeInstanceGetInfo, "nvmlComputeInstanceGetInfo_v2")(ci, &info), "nvmlComputeInstanceGetInfo_v2")
        let migUUID = try info.device.map { (d) throws(NVMLError) in try self.uuid(of: d) } ?? ""
        return NVMLComputeInstance(id: info.id, migUUID: migUUID, processCount: 0)
    }

    func destroyComputeInstance(_ gpu: Int, gpuInstance: UInt32, computeInstance: UInt32) throws(NVMLError) {
        let gi = try gpuInstanceHandle(try device(gpu), gpuInstance)
        var ci: OpaquePointer?
        try check(try api.required(api.gpuInstanceGetComputeInstanceById, "nvmlGpuInstanceGetComputeInstanceById")(gi, computeInstance, &ci), "nvmlGpuInstanceGetComputeInstanceById")
        guard let ci else { throw .call(function: "nvmlGpuInstanceGetComputeInstanceById", code: .notFound) }
        try check(try api.required(api.computeInstanceDestroy, "nvmlComputeInstanceDestroy")(ci), "nvmlComputeInstanceDestroy")
    }

    func destroyGPUInstance(_ gpu: Int, gpuInstance: UInt32) throws(NVMLError) {
        let gi = try gpuInstanceHandle(try device(gpu), gpuInstance)
        try check(try api.required(api.gpuInstanceDestroy, "nvmlGpuInstanceDestroy")(gi), "nvmlGpuInstanceDestroy")
    }
}
