/// Why `n8s operator` cannot start.
public enum OperatorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The webhook's certificate or key file cannot be read or parsed.
    case certificate(String)
    /// A setting out of range.
    case invalidConfig(field: String, reason: String)

    public var description: String {
        switch self {
        case .certificate(let m): "webhook certificate: \(m)"
        case .invalidConfig(let f, let r): "\(f): \(r)"
        }
    }
}
