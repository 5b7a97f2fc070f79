import Foundation
import KubeCore
import NIOCore
import Synchronization

/// A small in-process API server behind the ``Transport`` protocol, for runtime tests and
/// benchmarks that do not need HTTP (the full simulator is `KubeSim`).
///
/// Any kind, stored as JSON: get, list (label selector, `limit`/`continue`), create
/// (`generateName`), update (409 on a stale `resourceVersion`), the three patch types, delete
/// (preconditions), `status`/`binding`/`eviction` subresources, and watch from a version with
/// history (410 once ``compactHistory()`` forgot it) and BOOKMARK events on request.
/// Faults: ``failNext(_:verb:resource:with:)`` and ``dropWatches()``.
public final class InMemoryAPIServer: Transport {
    struct Stored {
        var objects: [String: [ObjectKey: JSONValue]] = [:]
        var history: [(version: Int, type: String, plural: String, key: ObjectKey, object: JSONValue)] = []
        var oldestVersion = 0
        var version = 0
        var watchers: [UInt64: WatchSink] = [:]
        var nextWatcher: UInt64 = 0
        var faults: [(verb: String, resource: String, remaining: Int, status: APIStatus)] = []
        var requestCount = 0
        var requestsByRoute: [String: Int] = [:]
    }

    struct WatchSink {
        var plural: String
        var namespace: String?
        var selector: LabelSelector?
        var continuation: AsyncStream<ByteBuffer>.Continuation
    }

    let state = Mutex(Stored())
    let clock: any KubeClock

    public init(clock: any KubeClock = SystemClock()) { self.clock = clock }

    /// Requests answered so far.
    public var requestCount: Int { state.withLock { $0.requestCount } }
    /// Open watch streams.
    public var watchCount: Int { state.withLock { $0.watchers.count } }
    /// Requests answered for `verb` on `path` (watches counted apart from lists/gets).
    public func requestCount(verb: HTTPVerb, path: String, watch: Bool) -> Int {
        state.withLock { $0.requestsByRoute["\(verb.rawValue) \(path) \(watch)"] ?? 0 }
    }

    func count(_ request: APIRequest) {
        let key = "\(request.verb.rawValue) \(request.path) \(request.queryValue("watch") == "true")"
        state.withLock {
            $0.requestCount += 1
            $0.requestsByRoute[key, default: 0] += 1
        }
    }

    /// The latest resourceVersion.
    public var currentVersion: String { state.withLock { String($0.version) } }

    /// Fails the next `count` requests of `verb` (`get`, `list`, `create`, `update`, `patch`,
    /// `delete`, `watch`) on `resource` (plural; `*` for any) with `status`.
    public func failNext(_ count: Int, verb: String, resource: String, with status: APIStatus) {
        state.withLock { $0.faults.append((verb, resource, count, status)) }
    }

    /// Ends every open watch stream, as a dropped connection would.
    public func dropWatches() {
        let sinks = state.withLock { s in
            defer { s.watchers = [:] }
            return Array(s.watchers.values)
        }
        for sink in sinks { sink.continuation.finish() }
    }

    /// Forgets the watch history: watches from any earlier version now get 410.
    public func compactHistory() {
        state.withLock { s in
            s.history.removeAll()
            s.oldestVersion = s.version
        }
    }

    /// The objects of `R` as stored, decoded.
    public func objects<R: Resource>(_ type: R.Type) -> [R] {
        let values = state.withLock { Array(($0.objects[R.plural] ?? [:]).values) }
        return values.compactMap { try? KubeJSON.typed(R.self, from: $0) }
    }

    /// Stores `object` directly (no request, no fault), recording an ADDED or MODIFIED event.
    @discardableResult
    public func seed<R: Resource>(_ object: R) throws -> R {
        var value = try KubeJSON.value(of: object)
        try state.withLock { s in
            let key = object.key
            let type = s.objects[R.plural]?[key] == nil ? "ADDED" : "MODIFIED"
            value = Self.stamp(value, defaults: object.metadata, clock: clock, version: s.version + 1)
            try write(&s, plural: R.plural, key: key, type: type, object: value)
        }
        return try KubeJSON.typed(R.self, from: value)
    }

    // MARK: Transport

    public func send(_ request: APIRequest) async throws -> APIResponse {
        do { return try handle(request) } catch let status as APIStatus {
            var headers: [String: String] = [:]
            if let seconds = status.details?.retryAfterSeconds { headers["retry-after"] = String(seconds) }
            return APIResponse(statusCode: status.code ?? 500, headers: headers, body: try KubeJSON.encode(status))
        }
    }

    public func stream(_ request: APIRequest) async throws -> APIStreamingResponse {
        do {
            let route = try Route(request.path)
            try checkFault(verb: "watch", resource: route.plural)
            let from = request.queryValue("resourceVersion").flatMap(Int.init)
            let selector = try request.queryValue("labelSelector").map { try LabelSelector(parsing: $0) }
            let bookmarks = request.queryValue("allowWatchBookmarks") == "true"
            let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
            count(request)
            state.withLock { s in
                var start = from ?? s.version
                if let from, from < s.oldestVersion {
                    continuation.yield(Self.line("ERROR", try! KubeJSON.value(of: APIStatus.gone("too old resource version: \(from) (\(s.oldestVersion))"))))
                    continuation.finish()
                    return
                }
                if from == nil {
                    for (key, object) in (s.objects[route.plural] ?? [:]).sorted(by: { $0.key < $1.key })
                    where Self.matches(object, key: key, namespace: route.namespace, selector: selector) {
                        continuation.yield(Self.line("ADDED", object))
                    }
                    start = s.version
                }
                for event in s.history where event.version > start && event.plural == route.plural
                    && Self.matches(event.object, key: event.key, namespace: route.namespace, selector: selector)
                {
                    continuation.yield(Self.line(event.type, event.object))
                }
                if bookmarks {
                    continuation.yield(Self.line("BOOKMARK", .object(["metadata": .object(["resourceVersion": .string(String(s.version))])])))
                }
                s.nextWatcher += 1
                s.watchers[s.nextWatcher] = WatchSink(plural: route.plural, namespace: route.namespace, selector: selector, continuation: continuation)
            }
            return APIStreamingResponse(statusCode: 200, body: ByteChunks(stream))
        } catch let status as APIStatus {
            var buffer = ByteBuffer()
            buffer.writeBytes(try KubeJSON.encode(status))
            let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
            continuation.yield(buffer)
            continuation.finish()
            return APIStreamingResponse(statusCode: status.code ?? 500, body: ByteChunks(stream))
        }
    }

    static func line(_ type: String, _ object: JSONValue) -> ByteBuffer {
        var data = (try? KubeJSON.encode(WatchEventLine(type: type, object: object))) ?? Data()
        data.append(0x0A)
        return ByteBuffer(bytes: data)
    }

    static func matches(_ object: JSONValue, key: ObjectKey, namespace: String?, selector: LabelSelector?) -> Bool {
        if let namespace, key.namespace != namespace { return false }
        guard let selector else { return true }
        let labels = object.value(at: ["metadata", "labels"])?.objectValue?.compactMapValues(\.stringValue)
        return selector.matches(labels)
    }

    func checkFault(verb: String, resource: String) throws {
        let failure = state.withLock { s -> APIStatus? in
            guard let i = s.faults.firstIndex(where: { ($0.verb == verb) && ($0.resource == resource || $0.resource == "*") }) else { return nil }
            s.faults[i].remaining -= 1
            let status = s.faults[i].status
            if s.faults[i].remaining <= 0 { s.faults.remove(at: i) }
            return status
        }
        if let failure { throw failure }
    }

    /// Records a write and tells matching watchers. Caller holds the lock.
    func write(_ s: inout Stored, plural: String, key: ObjectKey, type: String, object: JSONValue) throws {
        s.version += 1
        if type == "DELETED" { s.objects[plural]?[key] = nil } else { s.objects[plural, default: [:]][key] = object }
        s.history.append((s.version, type, plural, key, object))
        for sink in s.watchers.values where sink.plural == plural && Self.matches(object, key: key, namespace: sink.namespace, selector: sink.selector) {
            sink.continuation.yield(Self.line(type, object))
        }
    }

    static func stamp(_ value: JSONValue, defaults meta: ObjectMeta, clock: any KubeClock, version: Int) -> JSONValue {
        var value = value
        var metadata = value["metadata"]?.objectValue ?? [:]
        if metadata["uid"] == nil { metadata["uid"] = .string(UUID().uuidString.lowercased()) }
        if metadata["creationTimestamp"] == nil { metadata["creationTimestamp"] = .string(RFC3339.format(clock.now)) }
        metadata["resourceVersion"] = .string(String(version))
        value["metadata"] = .object(metadata)
        return value
    }
}

/// A parsed REST path: `/api/v1[/namespaces/{ns}]/{plural}[/{name}[/{subresource}]]`.
struct Route {
    var namespace: String?
    var plural: String
    var name: String?
    var subresource: String?

    init(_ path: String) throws {
        var parts = path.split(separator: "/").map(String.init)
        if parts.first == "api", parts.count >= 2 { parts.removeFirst(2) } else if parts.first == "apis", parts.count >= 3 {
            parts.removeFirst(3)
        } else { throw APIStatus.notFound("path", path) }
        if parts.first == "namespaces", parts.count >= 3 {
            namespace = parts[1]
            parts.removeFirst(2)
        }
        guard let plural = parts.first else { throw APIStatus.notFound("path", path) }
        self.plural = plural
        name = parts.count > 1 ? parts[1] : nil
        subresource = parts.count > 2 ? parts[2] : nil
    }

    var key: ObjectKey { ObjectKey(namespace: namespace, name: name ?? "") }
}
