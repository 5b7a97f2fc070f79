/// A Kubernetes kind that n8s reads or writes: its REST coordinates are static.
///
/// `apiVersion` and `kind` are written on encode from the statics, so a value never needs them
/// stored; decoding ignores them (the URL already named the kind).
public protocol Resource: Codable, Sendable, Hashable {
    /// `v1` for the core group, else `group/version` (e.g. `coordination.k8s.io/v1`).
    static var apiVersion: String { get }
    static var kind: String { get }
    /// Lower-case plural used in URLs (`pods`, `leases`, `elasticquotas`).
    static var plural: String { get }
    static var isNamespaced: Bool { get }
    var metadata: ObjectMeta { get set }
}

extension Resource {
    /// The API group; `""` for core.
    public static var group: String {
        guard let slash = apiVersion.firstIndex(of: "/") else { return "" }
        return String(apiVersion[..<slash])
    }

    public static var version: String {
        guard let slash = apiVersion.firstIndex(of: "/") else { return apiVersion }
        return String(apiVersion[apiVersion.index(after: slash)...])
    }

    public var name: String { metadata.name ?? "" }
    public var namespace: String? { metadata.namespace }
    public var key: ObjectKey { ObjectKey(namespace: metadata.namespace, name: metadata.name ?? "") }
}

/// Where an object lives: namespace (absent for cluster-scoped kinds) and name.
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var namespace: String?
    public var name: String

    public init(namespace: String? = nil, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// `namespace/name`, or `name` for cluster-scoped objects, as `kubectl` and logs write it.
    public var description: String { namespace.map { "\($0)/\(name)" } ?? name }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.namespace ?? "", lhs.name) < (rhs.namespace ?? "", rhs.name)
    }
}
