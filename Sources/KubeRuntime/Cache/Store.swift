import KubeClient
import KubeCore
import Synchronization

/// What changed in a ``Store``: the store's processed view of raw ``WatchEvent``s and relists.
public enum StoreChange<Object: Resource>: Sendable {
    /// New or changed; `old` is the previous version when there was one.
    case applied(Object, old: Object?)
    /// Gone, with the last version the store held.
    case deleted(Object)

    public var object: Object {
        switch self {
        case .applied(let object, _), .deleted(let object): object
        }
    }
}

/// A secondary index: the keys an object is filed under (e.g. its node name).
public struct StoreIndex<Object: Resource>: Sendable {
    public let name: String
    public let keys: @Sendable (Object) -> [String]

    public init(_ name: String, keys: @escaping @Sendable (Object) -> [String]) {
        self.name = name
        self.keys = keys
    }

    /// Objects by namespace (`""` for cluster-scoped).
    public static var byNamespace: StoreIndex { StoreIndex("namespace") { [$0.metadata.namespace ?? ""] } }
}

extension StoreIndex where Object == Pod {
    /// Pods by `spec.nodeName`; unbound pods are not indexed.
    public static var byNodeName: StoreIndex { StoreIndex("spec.nodeName") { $0.spec.nodeName.map { [$0] } ?? [] } }
}

/// A read-mostly cache of what one ``Watcher`` has seen. Reads never suspend; only the watcher writes.
public final class Store<Object: Resource>: Sendable {
    private struct State {
        var objects: [ObjectKey: Object] = [:]
        var indexed: [String: [String: Set<ObjectKey>]] = [:]
        var hasSynced = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())
    public let indexes: [StoreIndex<Object>]

    public init(indexes: [StoreIndex<Object>] = [.byNamespace]) { self.indexes = indexes }

    public func get(_ key: ObjectKey) -> Object? { state.withLock { $0.objects[key] } }

    public var count: Int { state.withLock { $0.objects.count } }

    /// Every object that passes `include`, in no particular order.
    public func list(where include: (Object) -> Bool = { _ in true }) -> [Object] {
        state.withLock { $0.objects.values.filter(include) }
    }

    /// The objects filed under `value` in index `name` (e.g. `("spec.nodeName", "node-1")`).
    public func list(index name: String, value: String) -> [Object] {
        state.withLock { s in (s.indexed[name]?[value] ?? []).compactMap { s.objects[$0] } }
    }

    /// The index values in use in index `name`.
    public func indexValues(_ name: String) -> [String] { state.withLock { Array(($0.indexed[name] ?? [:]).keys) } }

    /// `true` once the first complete list has been stored.
    public var hasSynced: Bool { state.withLock { $0.hasSynced } }

    /// Returns when ``hasSynced`` becomes true (at once if it is).
    /// - Throws: `CancellationError` when cancelled first.
    public func waitUntilSynced() async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.hasSynced || Task.isCancelled { return true }
                    s.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
        try Task.checkCancellation()
    }

    /// Applies one watch event. - Returns: the change, or `nil` for bookmarks and stale repeats.
    @discardableResult
    public func apply(_ event: WatchEvent<Object>) -> StoreChange<Object>? {
        switch event {
        case .bookmark: return nil
        case .added(let object), .modified(let object):
            return state.withLock { s in
                let old = s.objects[object.key]
                if let old, old.metadata.resourceVersion == object.metadata.resourceVersion, old == object { return nil }
                put(&s, object, old: old)
                return .applied(object, old: old)
            }
        case .deleted(let object):
            return state.withLock { s in
                guard let old = s.objects.removeValue(forKey: object.key) else { return nil }
                unindex(&s, old)
                return .deleted(object)
            }
        }
    }

    /// Swaps in a complete list in one step, so readers never see half a relist, and marks the store synced.
    /// - Returns: what differs from before: objects new or changed (by resourceVersion), and the
    ///   objects that vanished, so the controller can tell reconcilers of deletions it missed.
    @discardableResult
    public func replaceAll(with items: [Object]) -> [StoreChange<Object>] {
        let (changes, waiters) = state.withLock { s -> ([StoreChange<Object>], [CheckedContinuation<Void, Never>]) in
            var fresh: [ObjectKey: Object] = [:]
            fresh.reserveCapacity(items.count)
            for item in items { fresh[item.key] = item }
            var changes: [StoreChange<Object>] = []
            for (key, old) in s.objects where fresh[key] == nil { changes.append(.deleted(old)) }
            for (key, object) in fresh {
                let old = s.objects[key]
                if old?.metadata.resourceVersion != object.metadata.resourceVersion || old == nil { changes.append(.applied(object, old: old)) }
            }
            s.objects = fresh
            s.indexed = [:]
            for object in fresh.values { index(&s, object) }
            s.hasSynced = true
            defer { s.waiters = [:] }
            return (changes, Array(s.waiters.values))
        }
        for waiter in waiters { waiter.resume() }
        return changes
    }

    private func put(_ s: inout State, _ object: Object, old: Object?) {
        if let old { unindex(&s, old) }
        s.objects[object.key] = object
        index(&s, object)
    }

    private func index(_ s: inout State, _ object: Object) {
        for index in indexes {
            for value in index.keys(object) { s.indexed[index.name, default: [:]][value, default: []].insert(object.key) }
        }
    }

    private func unindex(_ s: inout State, _ object: Object) {
        for index in indexes {
            for value in index.keys(object) {
                s.indexed[index.name]?[value]?.remove(object.key)
                if s.indexed[index.name]?[value]?.isEmpty == true { s.indexed[index.name]?[value] = nil }
            }
        }
    }
}
