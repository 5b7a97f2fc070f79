import KubeCore

/// Query options of list and watch calls.
public struct ListOptions: Sendable, Hashable {
    public var labelSelector: LabelSelector?
    public var fieldSelector: FieldSelector?
    /// Page size of a list; ``ResourceClient/list(_:)`` fetches every page.
    public var limit: Int?
    public var resourceVersion: String?
    /// `NotOlderThan` or `Exact`, with ``resourceVersion``.
    public var resourceVersionMatch: String?

    public init(labelSelector: LabelSelector? = nil, fieldSelector: FieldSelector? = nil, limit: Int? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
    }

    var queryItems: [APIRequest.QueryItem] {
        var items: [APIRequest.QueryItem] = []
        if let labelSelector, !labelSelector.isEmpty { items.append(.init("labelSelector", labelSelector.description)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(.init("fieldSelector", fieldSelector.description)) }
        return items
    }
}

/// A patch body and its content type.
public enum Patch: Sendable, Hashable {
    /// RFC 7386 JSON merge patch (`application/merge-patch+json`): `null` deletes a key, lists are replaced.
    case merge(JSONValue)
    /// RFC 6902 JSON patch (`application/json-patch+json`); a failing `test` operation makes the
    /// server answer 422 (kube-apiserver) or 409, and nothing is applied.
    case json(JSONPatch)
    /// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`): lists with a
    /// merge key (containers by `name`, conditions by `type`) are merged item by item. Core kinds only.
    case strategicMerge(JSONValue)

    public var contentType: String {
        switch self {
        case .merge: "application/merge-patch+json"
        case .json: "application/json-patch+json"
        case .strategicMerge: "application/strategic-merge-patch+json"
        }
    }

    func body() throws -> [UInt8] {
        switch self {
        case .merge(let value), .strategicMerge(let value): Array(try KubeJSON.encode(value))
        case .json(let patch): Array(try KubeJSON.encode(patch))
        }
    }
}
