import Foundation
import KubeCore
import Synchronization

/// An in-memory Kubernetes API server: the stand-in for kube-apiserver in tests and `n8s sim`.
///
/// Objects are stored as JSON, so every field a client sends survives. Semantics follow
/// kube-apiserver for what n8s and ordinary clients (kubectl, the official Python client) use:
/// one cluster-wide increasing `resourceVersion`; `uid`, `creationTimestamp` (from the injected
/// clock) and `generation` (bumped when anything outside `metadata` and `status` changes);
/// 404, 409 `AlreadyExists`, 409 `Conflict` on a stale `resourceVersion`, 422 `Invalid`,
/// 410 `Expired`; finalizers and graceful pod deletion; a bounded watch history.
///
/// Every operation is available in process (this type) and over HTTP (``withServer(_:)``).
/// Operations throw the ``APIStatus`` kube-apiserver would answer with.
public final class KubeSim: Sendable {
    /// The clock that stamps `creationTimestamp`, `deletionTimestamp` and drives watch timeouts.
    public let clock: any KubeClock
    /// Most watch events kept for watches that resume from an older version; older versions get 410.
    public let historyLimit: Int
    /// Most events buffered for one slow watch before the server closes it (the client resumes).
    public let watchBufferLimit: Int

    let state: Mutex<State>

    public init(clock: any KubeClock = SystemClock(), historyLimit: Int = 100_000, watchBufferLimit: Int = 200_000) {
        self.clock = clock
        self.historyLimit = historyLimit
        self.watchBufferLimit = watchBufferLimit
        state = Mutex(State())
        for type in ResourceType.builtIn { register(type) }
        for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            _ = try? create(Namespace.self, Namespace(metadata: ObjectMeta(name: name)))
        }
    }

    /// Serves a kind from now on (idempotent).
    public func register(_ type: ResourceType) {
        state.withLock { $0.types[type.id] = type }
    }

    /// Every kind served, in registration-independent order (group, then plural).
    public var resourceTypes: [ResourceType] {
        state.withLock { Array($0.types.values) }.sorted { ($0.group, $0.plural) < ($1.group, $1.plural) }
    }

    /// The kind served under `group` and `plural`, if any.
    public func resourceType(group: String, plural: String) -> ResourceType? {
        state.withLock { $0.types[ResourceID(group: group, plural: plural)] }
    }

    /// The served kind of a typed model.
    /// - Throws: 404 when the kind is not registered.
    public func resourceType<R: Resource>(of type: R.Type) throws(APIStatus) -> ResourceType {
        guard let t = resourceType(group: R.group, plural: R.plural) else {
            throw APIStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource (\(R.plural))")
        }
        return t
    }

    /// The newest resourceVersion handed out.
    public var currentResourceVersion: String { String(state.withLock { $0.revision }) }

    // MARK: - Fault injection

    /// Makes the next `count` calls of `verb` on `resource` fail with `status`.
    ///
    /// - Parameters:
    ///   - verb: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, or `*`;
    ///     subresource calls use the main verb (`create` for binding and eviction).
    ///   - resource: the plural (`pods`), `pods/status` for a subresource only, or `*`.
    public func failNext(_ count: Int, verb: String, resource: String, with status: APIStatus) {
        state.withLock { $0.faults.append(Fault(verb: verb, resource: resource, remaining: count, status: status)) }
    }

    /// Closes every open watch, as a restarting apiserver or a dropped connection would.
    public func dropWatches() {
        let channels = state.withLock { s -> [WatchChannel] in
            defer { s.watchers.removeAll() }
            return Array(s.watchers.values)
        }
        for c in channels { c.close() }
    }

    /// Forgets all watch history: a watch or continue token from any version before now gets 410.
    public func compactHistory() {
        state.withLock { s in
            s.compactedRevision = s.revision
            s.history.removeAll()
        }
    }

    /// Sends a BOOKMARK with the current version on every watch that asked for bookmarks.
    public func sendBookmarks() {
        state.withLock { s in
            for w in s.watchers.values where w.allowBookmarks { w.push(.bookmark(s.revision, kind: w.type.kind, apiVersion: w.type.apiVersion)) }
        }
    }

    /// How many watches are open.
    public var openWatchCount: Int { state.withLock { $0.watchers.count } }

    func checkFault(verb: String, type: ResourceType, subresource: String?) throws(APIStatus) {
        let resource = subresource.map { "\(type.plural)/\($0)" } ?? type.plural
        let fault = state.withLock { s -> APIStatus? in
            guard let i = s.faults.firstIndex(where: { f in
                (f.verb == "*" || f.verb == verb) && (f.resource == "*" || f.resource == resource || (subresource == nil && f.resource == type.plural))
            }) else { return nil }
            s.faults[i].remaining -= 1
            let status = s.faults[i].status
            if s.faults[i].remaining <= 0 { s.faults.remove(at: i) }
            return status
        }
        if let fault { throw fault }
    }
}

struct Fault {
    var verb: String
    var resource: String
    var remaining: Int
    var status: APIStatus
}

/// One stored change, kept for watches that resume and for consistent paginated lists.
struct HistoryEvent {
    var revision: UInt64
    var resource: ResourceID
    /// `ADDED`, `MODIFIED` or `DELETED`.
    var type: String
    var key: ObjectKey
    var object: JSONValue
    /// The object before the change (nil for ADDED).
    var oldObject: JSONValue?
}

struct State {
    var types: [ResourceID: ResourceType] = [:]
    var objects: [ResourceID: [ObjectKey: JSONValue]] = [:]
    var revision: UInt64 = 1
    var history: [HistoryEvent] = []
    /// Events at or below this revision are no longer in `history`.
    var compactedRevision: UInt64 = 0
    var watchers: [UInt64: WatchChannel] = [:]
    var nextWatchID: UInt64 = 0
    var faults: [Fault] = []

    mutating func nextRevision() -> UInt64 {
        revision += 1
        return revision
    }

    mutating func record(_ event: HistoryEvent, limit: Int) {
        history.append(event)
        if history.count > limit + limit / 4 {
            let drop = history.count - limit
            compactedRevision = history[drop - 1].revision
            history.removeFirst(drop)
        }
        for w in watchers.values where w.type.id == event.resource {
            if let delivery = w.delivery(for: event) { w.push(delivery) }
        }
        watchers = watchers.filter { !$0.value.isClosed }
    }
}
