import Foundation
import KubeCore

/// Options of a list or watch (`?labelSelector=&fieldSelector=&limit=&continue=&resourceVersion=`).
public struct ListOptions: Sendable, Hashable {
    public var labelSelector: LabelSelector
    public var fieldSelector: FieldSelector
    /// Most items in one page; `nil` or `0` for all.
    public var limit: Int?
    /// The token a previous page returned.
    public var continueToken: String?
    /// For a watch: the version to start after. `nil` or `"0"`: start with the current state
    /// (synthetic ADDED events), then changes.
    public var resourceVersion: String?
    public var allowWatchBookmarks: Bool
    /// For a watch: end the stream after this many seconds of the server's clock.
    public var timeoutSeconds: Int?

    public init(
        labelSelector: LabelSelector = LabelSelector(),
        fieldSelector: FieldSelector = FieldSelector(),
        limit: Int? = nil,
        continueToken: String? = nil,
        resourceVersion: String? = nil,
        allowWatchBookmarks: Bool = false,
        timeoutSeconds: Int? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
    }
}

/// One page of a list.
public struct ListResult: Sendable, Hashable {
    public var items: [JSONValue]
    /// The version the page reflects: watch from it to see every later change.
    public var resourceVersion: String
    /// Token for the next page; `nil` on the last page.
    public var continueToken: String?
    public var remainingItemCount: Int?
}

extension KubeSim {
    /// - Throws: 404 when the object does not exist.
    public func get(_ type: ResourceType, namespace: String?, name: String) throws(APIStatus) -> JSONValue {
        try checkFault(verb: "get", type: type, subresource: nil)
        let key = ObjectKey(namespace: type.isNamespaced ? namespace : nil, name: name)
        guard let object = state.withLock({ $0.objects[type.id]?[key] }) else {
            throw .notFound(type.plural, name, group: type.group)
        }
        return object
    }

    /// Whether the object exists, without counting a call or applying faults.
    func contains(_ type: ResourceType, namespace: String?, name: String) -> Bool {
        let key = ObjectKey(namespace: type.isNamespaced ? namespace : nil, name: name)
        return state.withLock { $0.objects[type.id]?[key] != nil }
    }

    /// Lists objects in key order (namespace, then name), as etcd returns them.
    ///
    /// Pages of a limited list are consistent: every page reflects the version of the first,
    /// reconstructed from the watch history.
    /// - Throws: 400 for a field selector on a field the kind does not support, or a malformed
    ///   continue token; 410 when the token's version was compacted away.
    public func list(_ type: ResourceType, namespace: String?, options: ListOptions = ListOptions()) throws(APIStatus) -> ListResult {
        try checkFault(verb: "list", type: type, subresource: nil)
        try validateFieldSelector(options.fieldSelector, for: type)
        let filter = WatchFilter(namespace: type.isNamespaced ? namespace : nil, labelSelector: options.labelSelector, fieldSelector: options.fieldSelector)
        var token: ContinueToken?
        if let text = options.continueToken, !text.isEmpty {
            guard let t = ContinueToken(text) else { throw .badRequest("invalid continue token \"\(text)\"") }
            token = t
        }
        let (objects, revision) = try state.withLock { s throws(APIStatus) -> ([ObjectKey: JSONValue], UInt64) in
            guard let t = token else { return (s.objects[type.id] ?? [:], s.revision) }
            guard t.revision >= s.compactedRevision else {
                throw .gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
            }
            return (s.snapshot(of: type.id, at: t.revision), t.revision)
        }
        var keys = objects.keys.filter { key in token.map { key > $0.after } ?? true }
        keys.sort()
        var items: [JSONValue] = []
        var next: ContinueToken?
        var remaining: Int?
        let limit = (options.limit ?? 0) > 0 ? options.limit! : Int.max
        for (i, key) in keys.enumerated() {
            guard let object = objects[key], filter.matches(object) else { continue }
            if items.count == limit {
                next = ContinueToken(revision: revision, after: keys[i - 1])
                if options.labelSelector.isEmpty && options.fieldSelector.isEmpty { remaining = keys.count - i }
                break
            }
            items.append(object)
        }
        return ListResult(items: items, resourceVersion: String(revision), continueToken: next?.text, remainingItemCount: remaining)
    }

    /// Opens a watch; read it with ``WatchChannel/next()``.
    ///
    /// - Throws: 410 `Expired` when `resourceVersion` is older than the kept history.
    public func watch(_ type: ResourceType, namespace: String?, options: ListOptions = ListOptions()) throws(APIStatus) -> WatchChannel {
        try checkFault(verb: "watch", type: type, subresource: nil)
        try validateFieldSelector(options.fieldSelector, for: type)
        let filter = WatchFilter(namespace: type.isNamespaced ? namespace : nil, labelSelector: options.labelSelector, fieldSelector: options.fieldSelector)
        var from: UInt64?
        if let text = options.resourceVersion, !text.isEmpty, text != "0" {
            guard let rv = UInt64(text) else { throw .badRequest("resourceVersion: Invalid value: \"\(text)\": must be an unsigned integer") }
            from = rv
        }
        return try state.withLock { s throws(APIStatus) -> WatchChannel in
            s.nextWatchID += 1
            let channel = WatchChannel(id: s.nextWatchID, type: type, filter: filter, allowBookmarks: options.allowWatchBookmarks, limit: watchBufferLimit)
            if let from {
                guard from >= s.compactedRevision else {
                    throw .gone("too old resource version: \(from) (\(s.compactedRevision + 1))")
                }
                for event in s.history where event.revision > from && event.resource == type.id {
                    if let d = channel.delivery(for: event) { channel.push(d) }
                }
            } else {
                for key in (s.objects[type.id] ?? [:]).keys.sorted() {
                    if let object = s.objects[type.id]?[key], filter.matches(object) {
                        channel.push(.event(type: "ADDED", object: object))
                    }
                }
            }
            if s.isRefusingWatches { channel.close() } else { s.watchers[channel.id] = channel }
            return channel
        }
    }

    /// Stops delivering to a watch (the HTTP layer calls this when the client goes away).
    func release(_ channel: WatchChannel) {
        channel.close()
        _ = state.withLock { $0.watchers.removeValue(forKey: channel.id) }
    }

    func validateFieldSelector(_ selector: FieldSelector, for type: ResourceType) throws(APIStatus) {
        let allowed = Set(["metadata.name", "metadata.namespace"] + type.selectableFields)
        for field in selector.fields where !allowed.contains(field) {
            throw .badRequest("field label not supported: \(field)")
        }
    }
}

extension State {
    /// The objects of one kind as they were at `revision`, undoing later history.
    func snapshot(of resource: ResourceID, at revision: UInt64) -> [ObjectKey: JSONValue] {
        var objects = self.objects[resource] ?? [:]
        for event in history.reversed() where event.revision > revision {
            guard event.resource == resource else { continue }
            switch event.type {
            case "ADDED": objects[event.key] = nil
            default: objects[event.key] = event.oldObject
            }
        }
        return objects
    }
}

/// The opaque `continue` token: the list's version and the last key returned, base64 JSON.
struct ContinueToken {
    var revision: UInt64
    var after: ObjectKey

    init(revision: UInt64, after: ObjectKey) {
        self.revision = revision
        self.after = after
    }

    init?(_ text: String) {
        guard let data = Data(base64Encoded: text),
            let value = try? JSONDecoder().decode([String: String].self, from: data),
            let rv = value["rv"].flatMap({ UInt64($0) }), let name = value["name"]
        else { return nil }
        self.init(revision: rv, after: ObjectKey(namespace: value["namespace"], name: name))
    }

    var text: String {
        var value = ["rv": String(revision), "name": after.name]
        value["namespace"] = after.namespace
        return (try? JSONEncoder().encode(value))?.base64EncodedString() ?? ""
    }
}
