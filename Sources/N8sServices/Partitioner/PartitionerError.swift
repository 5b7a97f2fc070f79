/// Why the GPU partitioner could not start or could not write a plan.
public enum PartitionerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The config file is unusable; `field` names the field (`(file)` for the file as a whole).
    case invalidConfig(field: String, reason: String)
    /// The MIG catalog (bundled or override) could not be loaded.
    case catalog(path: String?, reason: String)

    public var description: String {
        switch self {
        case .invalidConfig(let field, let reason): "partitioner config: field '\(field)': \(reason)"
        case .catalog(let path, let reason): "MIG catalog \(path.map { "'\($0)'" } ?? "(bundled)"): \(reason)"
        }
    }
}
