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
    /// Typed values of stored objects, by type, uid and resourceVersion (see ``TypedCache``).
    let typedCache = TypedCache()

    public init(clock: any KubeClock = SystemClock(), historyLimit: Int = 100_000, watchBufferLimit: Int = 200_000) {
        self.clock = clock
        self.historyLimit = historyLimit
        self.watchBufferLimit = watchBufferLimit
        state = Mutex(State())
        for type in ResourceType.builtIn { register(type) }
        for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            _ = try? create(Namespace.self, Namespace(metadata: ObjectMeta(name: name)))
        }
        resetRequestCounts()
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

    // MARK: - Watches

    /// Closes open watches, as a restarting apiserver or a dropped connection would; the
    /// clients resume from the last version they saw.
    /// - Parameter caller: only the watches opened over HTTP by matching callers; `nil`: all.
    public func dropWatches(of caller: CallerMatch? = nil) {
        let channels = state.withLock { s -> [WatchChannel] in
            let dropped = s.watchers.values.filter { caller?.matches($0.caller) ?? true }
            for c in dropped { s.watchers[c.id] = nil }
            return dropped
        }
        for c in channels { c.close() }
    }

    /// Closes every open watch and makes later ones end at once (a stopping server).
    public func stopServingWatches() {
        state.withLock { $0.isRefusingWatches = true }
        dropWatches()
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
}

struct Fault {
    var verb: String
    var resource: String
    var remaining: Int
    var status: APIStatus
    /// `nil`: every caller, in process or over HTTP.
    var caller: CallerMatch?
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
    /// Faults injected at a rate (``KubeSim/failRandomly(_:)``), with their random stream.
    var randomFaults = RandomFaultState()
    /// Callers whose HTTP requests are refused (503) until reconnected.
    var cutOff: [CallerMatch] = []
    /// Calls served, by verb, resource and caller (see ``KubeSim/requestCount(verb:resource:caller:)``).
    var requestCounts: [RequestCountKey: Int] = [:]
    var isRefusingWatches = false
    /// Where service references of webhook configurations are reached (``KubeSim/routeService(namespace:name:port:to:)``).
    var serviceRoutes: [ServiceRoute: String] = [:]

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
