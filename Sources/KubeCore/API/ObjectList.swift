/// A list response (`PodList`, `NodeList`, ...): items plus the version to watch from.
public struct ObjectList<Item: Resource>: Sendable, Codable {
    public var metadata: ListMeta
    public var items: [Item]

    public init(metadata: ListMeta = ListMeta(), items: [Item]) {
        self.metadata = metadata
        self.items = items
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, items }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decodeIfPresent(ListMeta.self, forKey: .metadata) ?? ListMeta()
        items = try c.decodeIfPresent([Item].self, forKey: .items) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Item.apiVersion, forKey: .apiVersion)
        try c.encode(Item.kind + "List", forKey: .kind)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(items, forKey: .items)
    }
}

/// One line of a watch stream, as the server sends it (`{"type": "ADDED", "object": {...}}`).
///
/// The server's `ERROR` event is never a case: a client throws it as an error carrying the
/// ``APIStatus`` (code 410 means the requested version was compacted: relist).
public enum WatchEvent<Object: Sendable>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// Only `metadata.resourceVersion` is meaningful: the stream has seen everything up to it.
    case bookmark(resourceVersion: String)
}

extension WatchEvent: Equatable where Object: Equatable {}

/// The raw wire form of a watch line, before it is typed.
public struct WatchEventLine: Sendable, Codable, Hashable {
    /// `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK` or `ERROR`.
    public var type: String
    public var object: JSONValue

    public init(type: String, object: JSONValue) {
        self.type = type
        self.object = object
    }
}
