/// Why an NVML action failed: the one error type of the NVML layer (real and simulated).
public enum NVMLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `libnvidia-ml.so.1` could not be loaded, a symbol is missing, or `nvmlInit_v2` reported
    /// that no driver is loaded. The text says which (from `dlerror()` or the call).
    case unavailable(String)
    /// `function` (the C symbol, e.g. `nvmlDeviceCreateGpuInstanceWithPlacement`) returned `code`.
    case call(function: String, code: NVMLReturn)
    /// An argument n8s passed is out of range before any call was made (e.g. GPU index 9 of 8).
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .unavailable(let why): "NVML is unavailable: \(why)"
        case .call(let f, let code): "\(f) failed: \(code)"
        case .invalidRequest(let why): "invalid NVML request: \(why)"
        }
    }

    /// The return code, when a call failed.
    public var code: NVMLReturn? { if case .call(_, let c) = self { c } else { nil } }
    public var isUnavailable: Bool { if case .unavailable = self { true } else { false } }
    /// `NVML_ERROR_IN_USE`: processes or compute instances still hold the object.
    public var isInUse: Bool { code == .inUse }
    /// `NVML_ERROR_NOT_FOUND`: the instance is already gone.
    public var isNotFound: Bool { code == .notFound }
    /// `NVML_ERROR_INSUFFICIENT_RESOURCES`: occupied range, or a per-profile maximum reached.
    public var isInsufficientResources: Bool { code == .insufficientResources }
    /// `NOT_SUPPORTED` or `INVALID_ARGUMENT`: the profile or call does not exist on this GPU.
    public var isNotSupported: Bool { code == .notSupported || code == .invalidArgument }
}

/// Maps a return code to `()` or ``NVMLError/call(function:code:)``.
@inline(__always)
func check(_ code: UInt32, _ function: StaticString) throws(NVMLError) {
    if code != 0 { throw .call(function: "\(function)", code: NVMLReturn(rawValue: code)) }
}
