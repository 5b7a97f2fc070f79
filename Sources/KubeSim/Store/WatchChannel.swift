import KubeCore
import Synchronization

/// What a watch stream carries next.
public enum WatchDelivery: Sendable, Hashable {
    /// `ADDED`, `MODIFIED` or `DELETED` with the object as it is (DELETED: as it was, at the
    /// deletion's version).
    case event(type: String, object: JSONValue)
    /// Progress marker: everything up to this revision was sent.
    case bookmark(UInt64, kind: String, apiVersion: String)
    /// A terminal error (410 Expired); the stream ends after it.
    case error(APIStatus)

    /// The wire line (without the newline), as kube-apiserver writes it.
    public var line: WatchEventLine {
        switch self {
        case .event(let type, let object):
            return WatchEventLine(type: type, object: object)
        case .bookmark(let rv, let kind, let apiVersion):
            return WatchEventLine(type: "BOOKMARK", object: ["kind": .string(kind), "apiVersion": .string(apiVersion),
                                                             "metadata": ["resourceVersion": .string(String(rv))]])
        case .error(let status):
            return WatchEventLine(type: "ERROR", object: (try? KubeJSON.value(of: status)) ?? .null)
        }
    }
}

/// Which objects a watch sees.
struct WatchFilter: Sendable {
    var namespace: String?
    var labelSelector: LabelSelector
    var fieldSelector: FieldSelector

    func matches(_ object: JSONValue) -> Bool {
        if let namespace, object.value(at: ["metadata", "namespace"])?.stringValue != namespace { return false }
        let labels = object.value(at: ["metadata", "labels"])?.objectValue?.compactMapValues(\.stringValue)
        return labelSelector.matches(labels) && fieldSelector.matches { object.fieldText(at: $0) }
    }
}

/// One open watch: a bounded buffer the store pushes into under its lock (so order is the
/// store's order) and the HTTP writer pulls from.
///
/// A watch that falls `limit` events behind is closed, as kube-apiserver closes slow watchers;
/// the client resumes from the last version it saw and loses nothing.
public final class WatchChannel: Sendable {
    let id: UInt64
    let type: ResourceType
    let filter: WatchFilter
    let allowBookmarks: Bool
    /// Who opened it over HTTP; `nil` in process.
    let caller: Caller?
    private let limit: Int

    private struct Buffer {
        var pending: [WatchDelivery] = []
        var head = 0
        var waiter: CheckedContinuation<WatchDelivery?, Never>?
        var isClosed = false
    }

    private let buffer = Mutex(Buffer())

    init(id: UInt64, type: ResourceType, filter: WatchFilter, allowBookmarks: Bool, limit: Int) {
        self.id = id
        self.type = type
        self.filter = filter
        self.allowBookmarks = allowBookmarks
        self.limit = limit
        self.caller = Caller.current
    }

    var isClosed: Bool { buffer.withLock { $0.isClosed } }

    /// The delivery this watch gets for a stored change, applying kube-apiserver's rules for
    /// objects entering (ADDED) or leaving (DELETED, old content at the new version) its selectors.
    func delivery(for event: HistoryEvent) -> WatchDelivery? {
        let now = filter.matches(event.object)
        let before = event.oldObject.map(filter.matches) ?? false
        switch event.type {
        case "ADDED": return now ? .event(type: "ADDED", object: event.object) : nil
        case "DELETED": return before ? .event(type: "DELETED", object: event.object) : nil
        default:
            switch (before, now) {
            case (true, true): return .event(type: "MODIFIED", object: event.object)
            case (false, true): return .event(type: "ADDED", object: event.object)
            case (true, false):
                var old = event.oldObject ?? event.object
                old[path: ["metadata", "resourceVersion"]] = .string(String(event.revision))
                return .event(type: "DELETED", object: old)
            case (false, false): return nil
            }
        }
    }

    func push(_ delivery: WatchDelivery) {
        let waiter = buffer.withLock { b -> CheckedContinuation<WatchDelivery?, Never>? in
            guard !b.isClosed else { return nil }
            if let w = b.waiter {
                b.waiter = nil
                return w
            }
            b.pending.append(delivery)
            if b.pending.count - b.head > limit { b.isClosed = true }
            return nil
        }
        waiter?.resume(returning: delivery)
    }

    /// Ends the stream at once, dropping what is buffered, as a dropped connection does.
    func close() {
        let waiter = buffer.withLock { b -> CheckedContinuation<WatchDelivery?, Never>? in
            b.isClosed = true
            b.pending.removeAll()
            b.head = 0
            defer { b.waiter = nil }
            return b.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next delivery, or `nil` once the watch is closed or the task cancelled.
    public func next() async -> WatchDelivery? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<WatchDelivery?, Never>) in
                let ready = buffer.withLock { b -> (WatchDelivery?, Bool) in
                    if b.head < b.pending.count {
                        let d = b.pending[b.head]
                        b.head += 1
                        if b.head > 1024, b.head * 2 > b.pending.count {
                            b.pending.removeFirst(b.head)
                            b.head = 0
                        }
                        return (d, true)
                    }
                    if b.isClosed || Task.isCancelled { return (nil, true) }
                    b.waiter = continuation
                    return (nil, false)
                }
                if ready.1 { continuation.resume(returning: ready.0) }
            }
        } onCancel: {
            close()
        }
    }
}

extension JSONValue {
    /// The text of a selectable field (`spec.nodeName`, `status.phase`, `spec.unschedulable`),
    /// as field selectors compare it; `nil` when absent.
    func fieldText(at dottedPath: String) -> String? {
        switch value(at: dottedPath.split(separator: ".").map(String.init)) {
        case .string(let s)?: s
        case .bool(let b)?: b ? "true" : "false"
        case .int(let i)?: String(i)
        case .double(let d)?: String(d)
        default: nil
        }
    }
}
