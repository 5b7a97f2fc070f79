/// An NVML return code (`nvmlReturn_t`, a 32-bit C enum).
///
/// Source: NVML API 13 header (`mig-facts.md` §5.1). Codes the header does not list keep their
/// number and print as `NVML_ERROR_<n>`.
public struct NVMLReturn: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let success = NVMLReturn(rawValue: 0)
    public static let uninitialized = NVMLReturn(rawValue: 1)
    public static let invalidArgument = NVMLReturn(rawValue: 2)
    public static let notSupported = NVMLReturn(rawValue: 3)
    public static let noPermission = NVMLReturn(rawValue: 4)
    public static let alreadyInitialized = NVMLReturn(rawValue: 5)
    public static let notFound = NVMLReturn(rawValue: 6)
    public static let insufficientSize = NVMLReturn(rawValue: 7)
    public static let driverNotLoaded = NVMLReturn(rawValue: 9)
    public static let libraryNotFound = NVMLReturn(rawValue: 12)
    public static let functionNotFound = NVMLReturn(rawValue: 13)
    public static let gpuIsLost = NVMLReturn(rawValue: 15)
    public static let resetRequired = NVMLReturn(rawValue: 16)
    public static let inUse = NVMLReturn(rawValue: 19)
    public static let insufficientResources = NVMLReturn(rawValue: 23)
    public static let argumentVersionMismatch = NVMLReturn(rawValue: 25)
    public static let unknown = NVMLReturn(rawValue: 999)

    /// Every code of the header, by number: `NVML_SUCCESS`, `NVML_ERROR_IN_USE`, ...
    static let names: [UInt32: String] = [
        0: "NVML_SUCCESS", 1: "UNINITIALIZED", 2: "INVALID_ARGUMENT", 3: "NOT_SUPPORTED", 4: "NO_PERMISSION",
        5: "ALREADY_INITIALIZED", 6: "NOT_FOUND", 7: "INSUFFICIENT_SIZE", 8: "INSUFFICIENT_POWER",
        9: "DRIVER_NOT_LOADED", 10: "TIMEOUT", 11: "IRQ_ISSUE", 12: "LIBRARY_NOT_FOUND", 13: "FUNCTION_NOT_FOUND",
        14: "CORRUPTED_INFOROM", 15: "GPU_IS_LOST", 16: "RESET_REQUIRED", 17: "OPERATING_SYSTEM",
        18: "LIB_RM_VERSION_MISMATCH", 19: "IN_USE", 20: "MEMORY", 21: "NO_DATA", 22: "VGPU_ECC_NOT_SUPPORTED",
        23: "INSUFFICIENT_RESOURCES", 24: "FREQ_NOT_SUPPORTED", 25: "ARGUMENT_VERSION_MISMATCH", 26: "DEPRECATED",
        27: "NOT_READY", 28: "GPU_NOT_FOUND", 29: "INVALID_STATE", 30: "RESET_TYPE_NOT_SUPPORTED", 999: "UNKNOWN",
    ]

    /// The header's name, e.g. `NVML_ERROR_IN_USE`.
    public var name: String {
        guard let n = Self.names[rawValue] else { return "NVML_ERROR_\(rawValue)" }
        return rawValue == 0 ? n : "NVML_ERROR_" + n
    }

    /// What `nvidia-smi` would print for the common codes, else the header name.
    public var description: String {
        switch self {
        case .inUse: "\(name) (19, in use by another client)"
        case .insufficientResources: "\(name) (23, insufficient resources)"
        default: "\(name) (\(rawValue))"
        }
    }
}
