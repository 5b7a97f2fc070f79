/// The body of `POST .../pods/{name}/binding`: assigns a pending pod to a node (core/v1 `Binding`).
public struct Binding: Sendable, Hashable, Codable {
    public var apiVersion: String = "v1"
    public var kind: String = "Binding"
    public var metadata: ObjectMeta
    /// The node: `kind: Node`, `name: <node>`.
    public var target: ObjectReference

    public init(pod: ObjectKey, node: String) {
        metadata = ObjectMeta(name: pod.name, namespace: pod.namespace)
        target = ObjectReference(apiVersion: "v1", kind: "Node", name: node)
    }
}

/// The body of `POST .../pods/{name}/eviction` (policy/v1 `Eviction`): a delete that honours
/// PodDisruptionBudgets; the server answers 429 when a budget would be violated.
public struct Eviction: Sendable, Hashable, Codable {
    public var apiVersion: String = "policy/v1"
    public var kind: String = "Eviction"
    public var metadata: ObjectMeta
    public var deleteOptions: DeleteOptions?

    public init(pod: ObjectKey, deleteOptions: DeleteOptions? = nil) {
        metadata = ObjectMeta(name: pod.name, namespace: pod.namespace)
        self.deleteOptions = deleteOptions
    }
}

/// Options of a delete (meta/v1 `DeleteOptions`).
public struct DeleteOptions: Sendable, Hashable, Codable {
    public var apiVersion: String? = "v1"
    public var kind: String? = "DeleteOptions"
    /// Seconds before a pod is killed; `0` deletes at once. Absent: the pod's own setting.
    public var gracePeriodSeconds: Int64?
    public var preconditions: Preconditions?
    /// `Orphan`, `Background` or `Foreground`.
    public var propagationPolicy: String?
    /// `["All"]` validates and answers without deleting (evictions use it against PDBs).
    public var dryRun: [String]?

    public init(gracePeriodSeconds: Int64? = nil, preconditions: Preconditions? = nil, propagationPolicy: String? = nil, dryRun: [String]? = nil) {
        self.gracePeriodSeconds = gracePeriodSeconds
        self.preconditions = preconditions
        self.propagationPolicy = propagationPolicy
        self.dryRun = dryRun
    }

    /// The delete fails with 409 unless the object still has this uid / resourceVersion.
    public struct Preconditions: Sendable, Hashable, Codable {
        public var uid: String?
        public var resourceVersion: String?
        public init(uid: String? = nil, resourceVersion: String? = nil) {
            self.uid = uid
            self.resourceVersion = resourceVersion
        }
    }
}
