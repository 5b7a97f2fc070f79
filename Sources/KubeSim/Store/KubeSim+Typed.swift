import KubeCore
import Synchronization

/// Typed conveniences over the JSON operations, for tests and for seeding a simulation.
extension KubeSim {
    public func create<R: Resource>(_ kind: R.Type = R.self, _ object: R) throws(APIStatus) -> R {
        let type = try resourceType(of: R.self)
        return try typed(R.self, create(type, namespace: object.metadata.namespace ?? (R.isNamespaced ? "default" : nil), value(object)))
    }

    public func get<R: Resource>(_ kind: R.Type, namespace: String? = nil, name: String) throws(APIStatus) -> R {
        let type = try resourceType(of: R.self)
        return try typed(R.self, get(type, namespace: namespace, name: name))
    }

    /// Every object of a kind (in a namespace, or all), in key order.
    public func list<R: Resource>(_ kind: R.Type, namespace: String? = nil, labelSelector: LabelSelector = LabelSelector()) throws(APIStatus) -> [R] {
        let type = try resourceType(of: R.self)
        let result = try list(type, namespace: namespace, options: ListOptions(labelSelector: labelSelector))
        var items: [R] = []
        for item in result.items { items.append(try typed(R.self, item)) }
        return items
    }

    /// Objects of a kind matching a field selector (e.g. pods with `spec.nodeName=<node>`),
    /// filtered before decoding.
    public func list<R: Resource>(_ kind: R.Type, namespace: String? = nil, fieldSelector: FieldSelector) throws(APIStatus) -> [R] {
        let type = try resourceType(of: R.self)
        var options = ListOptions()
        options.fieldSelector = fieldSelector
        let result = try list(type, namespace: namespace, options: options)
        var items: [R] = []
        for item in result.items { items.append(try typed(R.self, item)) }
        return items
    }

    public func update<R: Resource>(_ object: R, subresource: String? = nil) throws(APIStatus) -> R {
        let type = try resourceType(of: R.self)
        return try typed(R.self, update(type, namespace: object.metadata.namespace, name: object.metadata.name ?? "", value(object), subresource: subresource))
    }

    @discardableResult
    public func delete<R: Resource>(_ kind: R.Type, namespace: String? = nil, name: String, options: DeleteOptions = DeleteOptions()) throws(APIStatus) -> JSONValue {
        let type = try resourceType(of: R.self)
        return try delete(type, namespace: namespace, name: name, options: options)
    }

    private func value(_ object: some Encodable) throws(APIStatus) -> JSONValue {
        do { return try KubeJSON.value(of: object) } catch { throw .badRequest("cannot encode the object: \(error)") }
    }

    private func typed<R: Decodable & Sendable>(_ type: R.Type, _ value: JSONValue) throws(APIStatus) -> R {
        let key = TypedCache.key(R.self, value)
        if let key, let hit = typedCache.value(R.self, key) { return hit }
        let decoded: R
        do { decoded = try KubeJSON.typed(R.self, from: value) } catch { throw .internalError("stored object is not a \(R.self): \(error)") }
        if let key { typedCache.store(decoded, key) }
        return decoded
    }
}

/// Typed values of stored objects, so that the simulation's many direct reads (each simulated
/// kubelet lists its node's pods every tick) decode an object once per version, not once per read.
///
/// Safe because a stored object never changes under the same `metadata.resourceVersion` (every
/// write stores a new version) and `metadata.uid` tells a recreated object from the old one.
/// Bounded: past ``limit`` entries the cache starts again from empty.
final class TypedCache: Sendable {
    struct Key: Hashable {
        let type: ObjectIdentifier
        let uid: String
        let resourceVersion: String
    }

    static let limit = 50_000
    private let entries = Mutex<[Key: any Sendable]>([:])

    /// `nil` for an object without uid or resourceVersion (not cached).
    static func key<R>(_ type: R.Type, _ value: JSONValue) -> Key? {
        guard let meta = value["metadata"], let uid = meta["uid"]?.stringValue, let rv = meta["resourceVersion"]?.stringValue else { return nil }
        return Key(type: ObjectIdentifier(R.self), uid: uid, resourceVersion: rv)
    }

    func value<R>(_ type: R.Type, _ key: Key) -> R? { entries.withLock { $0[key] } as? R }

    func store<R: Sendable>(_ value: R, _ key: Key) {
        entries.withLock { e in
            if e.count >= Self.limit { e.removeAll(keepingCapacity: true) }
            e[key] = value
        }
    }
}
