#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Struct arguments are passed as raw pointers to the Swift declarations of `NVMLABI.swift`, whose
/// layouts equal the C structs (checked by `NVMLABITests`).
///
/// The NVML entry points n8s calls, looked up with `dlsym` in one open library. A symbol the
/// driver lacks is `nil`, and calling it throws ``NVMLError/unavailable(_:)`` naming it.
/// Signatures: NVML API 13 header (`mig-facts.md` §5.4); every function returns `nvmlReturn_t`.
struct NVMLFunctions {
    typealias Dev = OpaquePointer
    typealias InitFn = @convention(c) () -> UInt32
    typealias CountFn = @convention(c) (UnsafeMutablePointer<UInt32>) -> UInt32
    typealias HandleByIndexFn = @convention(c) (UInt32, UnsafeMutablePointer<OpaquePointer?>) -> UInt32
    typealias StringFn = @convention(c) (Dev, UnsafeMutablePointer<CChar>, UInt32) -> UInt32
    typealias MemoryFn = @convention(c) (Dev, UnsafeMutableRawPointer) -> UInt32
    typealias MigModeFn = @convention(c) (Dev, UnsafeMutablePointer<UInt32>, UnsafeMutablePointer<UInt32>) -> UInt32
    typealias GIProfileInfoFn = @convention(c) (Dev, UInt32, UnsafeMutableRawPointer) -> UInt32
    typealias PlacementsFn = @convention(c) (Dev, UInt32, UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt32>) -> UInt32
    typealias CreateGIFn = @convention(c) (Dev, UInt32, UnsafeRawPointer, UnsafeMutablePointer<OpaquePointer?>) -> UInt32
    typealias ListGIFn = @convention(c) (Dev, UInt32, UnsafeMutablePointer<OpaquePointer?>, UnsafeMutablePointer<UInt32>) -> UInt32
    typealias GIByIdFn = @convention(c) (Dev, UInt32, UnsafeMutablePointer<OpaquePointer?>) -> UInt32
    typealias GIInfoFn = @convention(c) (OpaquePointer, UnsafeMutableRawPointer) -> UInt32
    typealias DestroyFn = @convention(c) (OpaquePointer) -> UInt32
    typealias CIProfileInfoFn = @convention(c) (OpaquePointer, UInt32, UInt32, UnsafeMutableRawPointer) -> UInt32
    typealias CreateCIFn = @convention(c) (OpaquePointer, UInt32, UnsafeMutablePointer<OpaquePointer?>) -> UInt32
    typealias ListCIFn = @convention(c) (OpaquePointer, UInt32, UnsafeMutablePointer<OpaquePointer?>, UnsafeMutablePointer<UInt32>) -> UInt32
    typealias CIByIdFn = @convention(c) (OpaquePointer, UInt32, UnsafeMutablePointer<OpaquePointer?>) -> UInt32
    typealias CIInfoFn = @convention(c) (OpaquePointer, UnsafeMutableRawPointer) -> UInt32
    typealias ProcessesFn = @convention(c) (Dev, UnsafeMutablePointer<UInt32>, UnsafeMutableRawPointer?) -> UInt32

    let initV2: InitFn?
    let shutdown: InitFn?
    let deviceGetCount: CountFn?
    let deviceGetHandleByIndex: HandleByIndexFn?
    let deviceGetName: StringFn?
    let deviceGetUUID: StringFn?
    let deviceGetMemoryInfo: MemoryFn?
    let deviceGetMigMode: MigModeFn?
    let deviceGetGpuInstanceProfileInfo: GIProfileInfoFn?
    let deviceGetGpuInstancePossiblePlacements: PlacementsFn?
    let deviceCreateGpuInstanceWithPlacement: CreateGIFn?
    let deviceGetGpuInstances: ListGIFn?
    let deviceGetGpuInstanceById: GIByIdFn?
    let gpuInstanceGetInfo: GIInfoFn?
    let gpuInstanceDestroy: DestroyFn?
    let gpuInstanceGetComputeInstanceProfileInfo: CIProfileInfoFn?
    let gpuInstanceCreateComputeInstance: CreateCIFn?
    let gpuInstanceGetComputeInstances: ListCIFn?
    let gpuInstanceGetComputeInstanceById: CIByIdFn?
    let computeInstanceGetInfo: CIInfoFn?
    let computeInstanceDestroy: DestroyFn?
    let deviceGetComputeRunningProcesses: ProcessesFn?

    init(handle: UnsafeMutableRawPointer) {
        func load<F>(_ name: String, as type: F.Type) -> F? {
            guard let symbol = dlsym(handle, name) else { return nil }
            return unsafeBitCast(symbol, to: type)
        }
        initV2 = load("nvmlInit_v2", as: InitFn.self)
        shutdown = load("nvmlShutdown", as: InitFn.self)
        deviceGetCount = load("nvmlDeviceGetCount_v2", as: CountFn.self)
        deviceGetHandleByIndex = load("nvmlDeviceGetHandleByIndex_v2", as: HandleByIndexFn.self)
        deviceGetName = load("nvmlDeviceGetName", as: StringFn.self)
        deviceGetUUID = load("nvmlDeviceGetUUID", as: StringFn.self)
        deviceGetMemoryInfo = load("nvmlDeviceGetMemoryInfo", as: MemoryFn.self)
        deviceGetMigMode = load("nvmlDeviceGetMigMode", as: MigModeFn.self)
        deviceGetGpuInstanceProfileInfo = load("nvmlDeviceGetGpuInstanceProfileInfo", as: GIProfileInfoFn.self)
        deviceGetGpuInstancePossiblePlacements = load("nvmlDeviceGetGpuInstancePossiblePlacements_v2", as: PlacementsFn.self)
        deviceCreateGpuInstanceWithPlacement = load("nvmlDeviceCreateGpuInstanceWithPlacement", as: CreateGIFn.self)
        deviceGetGpuInstances = load("nvmlDeviceGetGpuInstances", as: ListGIFn.self)
        deviceGetGpuInstanceById = load("nvmlDeviceGetGpuInstanceById", as: GIByIdFn.self)
        gpuInstanceGetInfo = load("nvmlGpuInstanceGetInfo", as: GIInfoFn.self)
        gpuInstanceDestroy = load("nvmlGpuInstanceDestroy", as: DestroyFn.self)
        gpuInstanceGetComputeInstanceProfileInfo = load("nvmlGpuInstanceGetComputeInstanceProfileInfo", as: CIProfileInfoFn.self)
        gpuInstanceCreateComputeInstance = load("nvmlGpuInstanceCreateComputeInstance", as: CreateCIFn.self)
        gpuInstanceGetComputeInstances = load("nvmlGpuInstanceGetComputeInstances", as: ListCIFn.self)
        gpuInstanceGetComputeInstanceById = load("nvmlGpuInstanceGetComputeInstanceById", as: CIByIdFn.self)
        computeInstanceGetInfo = load("nvmlComputeInstanceGetInfo_v2", as: CIInfoFn.self)
        computeInstanceDestroy = load("nvmlComputeInstanceDestroy", as: DestroyFn.self)
        deviceGetComputeRunningProcesses = load("nvmlDeviceGetComputeRunningProcesses_v3", as: ProcessesFn.self)
    }

    /// The function, or ``NVMLError/unavailable(_:)`` naming the missing symbol (an older driver).
    func required<F>(_ function: F?, _ name: String) throws(NVMLError) -> F {
        guard let function else { throw .unavailable("the driver's NVML lacks \(name)") }
        return function
    }
}
