/// Why a kubeconfig or the in-cluster environment could not be turned into a ``ClusterConfig``.
public enum KubeconfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No file at any of the candidate locations, and not in a cluster.
    case notFound(searched: [String])
    /// The file is not valid kubeconfig YAML; the text names the file and the parser's complaint.
    case malformed(file: String, reason: String)
    /// The named (or current) context does not exist, or names a cluster or user that does not.
    case missingEntry(kind: String, name: String)
    /// A field has an unusable value: a bad URL, an unreadable file, bad base64.
    case invalidField(field: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let searched): "no kubeconfig found (searched \(searched.joined(separator: ", "))) and not running in a cluster"
        case .malformed(let file, let reason): "kubeconfig \(file) is malformed: \(reason)"
        case .missingEntry(let kind, let name): "kubeconfig has no \(kind) named \"\(name)\""
        case .invalidField(let field, let reason): "kubeconfig field \(field): \(reason)"
        }
    }
}
