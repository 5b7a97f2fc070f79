import Foundation

/// kube-scheduler's `extender/v1` wire types (`k8s.io/kube-scheduler/extender/v1`), as sent to and
/// answered by a scheduler extender over HTTP (`POST <urlPrefix>/<verb>`).
///
/// The Go structs carry no JSON tags, so keys are the capitalised field names (`Pod`,
/// `NodeNames`, ...). Go's decoder matches keys case-insensitively; so do these types' decoders
/// (``ExtenderKeys``). Encoders omit absent optional fields.

/// The body of `filter` (and `prioritize`): the pod and its candidate nodes.
///
/// With `nodeCacheCapable: true` the scheduler sends only ``nodeNames``; otherwise the full
/// ``nodes`` list.
public struct ExtenderArgs: Sendable, Codable {
    public var pod: Pod
    /// Candidate nodes as objects (extenders without a node cache).
    public var nodes: ObjectList<Node>?
    /// Candidate node names (extenders with `nodeCacheCapable: true`).
    public var nodeNames: [String]?

    public init(pod: Pod, nodes: ObjectList<Node>? = nil, nodeNames: [String]? = nil) {
        self.pod = pod
        self.nodes = nodes
        self.nodeNames = nodeNames
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case pod = "Pod", nodes = "Nodes", nodeNames = "NodeNames"
    }

    public init(from decoder: any Decoder) throws {
        let c = try ExtenderKeys(decoder, CodingKeys.self)
        pod = try c.require(.pod, Pod.self)
        nodes = try c.optional(.nodes, ObjectList<Node>.self)
        nodeNames = try c.optional(.nodeNames, [String].self)
    }
}

/// The answer to `filter`: the nodes that pass, and why the others do not.
public struct ExtenderFilterResult: Sendable, Codable {
    /// Passing nodes as objects (extenders without a node cache).
    public var nodes: ObjectList<Node>?
    /// Passing node names (extenders with a node cache).
    public var nodeNames: [String]?
    /// Node name to reason, for nodes that failed but where preemption might help.
    public var failedNodes: [String: String]?
    /// Node name to reason, for nodes where preemption cannot help.
    public var failedAndUnresolvableNodes: [String: String]?
    /// Non-empty when the extender failed as a whole.
    public var error: String?

    public init(
        nodeNames: [String]? = nil,
        failedNodes: [String: String]? = nil,
        failedAndUnresolvableNodes: [String: String]? = nil,
        error: String? = nil
    ) {
        self.nodeNames = nodeNames
        self.failedNodes = failedNodes
        self.failedAndUnresolvableNodes = failedAndUnresolvableNodes
        self.error = error
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case nodes = "Nodes", nodeNames = "NodeNames", failedNodes = "FailedNodes"
        case failedAndUnresolvableNodes = "FailedAndUnresolvableNodes", error = "Error"
    }

    public init(from decoder: any Decoder) throws {
        let c = try ExtenderKeys(decoder, CodingKeys.self)
        nodes = try c.optional(.nodes, ObjectList<Node>.self)
        nodeNames = try c.optional(.nodeNames, [String].self)
        failedNodes = try c.optional(.failedNodes, [String: String].self)
        failedAndUnresolvableNodes = try c.optional(.failedAndUnresolvableNodes, [String: String].self)
        error = try c.optional(.error, String.self)
    }
}

/// The body of `bind`: the extender binds the pod itself.
public struct ExtenderBindingArgs: Sendable, Codable, Hashable {
    public var podName: String
    public var podNamespace: String
    public var podUID: String
    public var node: String

    public init(podName: String, podNamespace: String, podUID: String, node: String) {
        self.podName = podName
        self.podNamespace = podNamespace
        self.podUID = podUID
        self.node = node
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case podName = "PodName", podNamespace = "PodNamespace", podUID = "PodUID", node = "Node"
    }

    public init(from decoder: any Decoder) throws {
        let c = try ExtenderKeys(decoder, CodingKeys.self)
        podName = try c.optional(.podName, String.self) ?? ""
        podNamespace = try c.optional(.podNamespace, String.self) ?? ""
        podUID = try c.optional(.podUID, String.self) ?? ""
        node = try c.optional(.node, String.self) ?? ""
    }
}

/// The answer to `bind`: empty ``error`` on success.
public struct ExtenderBindingResult: Sendable, Codable, Hashable {
    public var error: String?

    public init(error: String? = nil) { self.error = error }

    enum CodingKeys: String, CodingKey, CaseIterable { case error = "Error" }

    public init(from decoder: any Decoder) throws {
        error = try ExtenderKeys(decoder, CodingKeys.self).optional(.error, String.self)
    }
}
