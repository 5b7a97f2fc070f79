import Foundation
import KubeClient
import KubeCore
import Logging
import Synchronization

/// Writes core/v1 Events about objects, as client-go's recorder does:
///
/// * **Aggregation:** an event equal to one recorded in the last `aggregationWindow` (same object,
///   type, reason and message) increments that Event's `count` and `lastTimestamp` with a merge
///   patch instead of creating a new object.
/// * **Rate limit:** per involved object, `burst` events at once, then one per `refillInterval`
///   (client-go: 25, then one per 5 minutes); events over the limit are dropped and logged.
///
/// Recording never throws: a failure is logged, because an event must not fail a reconcile.
/// Cluster-scoped objects get their events in namespace `default`.
/// RBAC: `create` and `patch` on `events` (core group) in the objects' namespaces.
public final class EventRecorder: Sendable {
    public enum EventType: String, Sendable { case normal = "Normal", warning = "Warning" }

    struct Signature: Hashable {
        var object: ObjectKey
        var kind: String
        var type: String
        var reason: String
        var message: String
    }

    struct Aggregate {
        var name: String
        var namespace: String
        var count: Int32
        var lastSeen: Date
    }

    public let client: KubeClient
    public let component: String
    public let instance: String
    public let clock: any KubeClock
    public let burst: Int
    public let refillInterval: Duration
    public let aggregationWindow: Duration
    private let logger: Logger
    private let aggregates = Mutex<[Signature: Aggregate]>([:])
    private let limiters = Mutex<[String: TokenBucket]>([:])
    private let maxCached = 4096

    public init(
        client: KubeClient,
        component: String,
        instance: String = ProcessInfo.processInfo.hostName,
        burst: Int = 25,
        refillInterval: Duration = .seconds(300),
        aggregationWindow: Duration = .seconds(600),
        clock: (any KubeClock)? = nil,
        logger: Logger = Logger(label: "n8s.events")
    ) {
        self.client = client
        self.component = component
        self.instance = instance
        self.burst = burst
        self.refillInterval = refillInterval
        self.aggregationWindow = aggregationWindow
        self.clock = clock ?? client.clock
        self.logger = logger
    }

    /// Records `reason` (UpperCamelCase, e.g. `Planned`) with `message` on `object`.
    public func record<R: Resource>(_ object: R, type: EventType = .normal, reason: String, message: String) async {
        let reference = ObjectReference(to: object)
        let signature = Signature(object: object.key, kind: R.kind, type: type.rawValue, reason: reason, message: message)
        guard limiter(for: "\(R.kind)/\(object.key)").tryAcquire() else {
            logger.debug("event dropped by rate limit", metadata: ["k8s.kind": "\(R.kind)", "k8s.name": "\(object.key)", "event.reason": "\(reason)"])
            return
        }
        let now = clock.now
        let events = client.resource(Event.self, in: object.metadata.namespace ?? "default")
        do {
            if let repeated = bump(signature, now: now) {
                do {
                    let patch: JSONValue = .object(["count": .int(Int64(repeated.count)), "lastTimestamp": .string(RFC3339.format(now))])
                    _ = try await events.patch(repeated.name, .merge(patch))
                    return
                } catch let error as KubeClientError where error.isNotFound {
                    forget(signature)
                }
            }
            var event = Event(
                metadata: ObjectMeta(name: "\(object.name).\(String(UInt64(now.timeIntervalSince1970 * 1e9), radix: 16))", namespace: events.namespace),
                involvedObject: reference,
                reason: reason,
                message: message,
                type: type.rawValue
            )
            event.count = 1
            event.firstTimestamp = now
            event.lastTimestamp = now
            event.source = EventSource(component: component, host: instance)
            event.reportingComponent = component
            event.reportingInstance = instance
            let created: Event
            do { created = try await events.create(event) } catch let error as KubeClientError where error.isAlreadyExists {
                // Two events of one object at the same instant (an injected clock that stands still) share
                // the `<name>.<nanos>` name: the second gets a random suffix instead of being lost.
                event.metadata.name = "\(event.metadata.name ?? object.name).\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
                created = try await events.create(event)
            }
            remember(signature, Aggregate(name: created.name, namespace: events.namespace ?? "default", count: 1, lastSeen: now))
        } catch {
            logger.warning("could not record event", metadata: ["k8s.kind": "\(R.kind)", "k8s.name": "\(object.key)", "event.reason": "\(reason)", "error": "\(error)"])
        }
    }

    /// The aggregate to increment, if `signature` was seen within the window.
    private func bump(_ signature: Signature, now: Date) -> Aggregate? {
        aggregates.withLock { cache in
            guard var entry = cache[signature], now.timeIntervalSince(entry.lastSeen) < aggregationWindow.seconds else { return nil }
            entry.count += 1
            entry.lastSeen = now
            cache[signature] = entry
            return entry
        }
    }

    private func remember(_ signature: Signature, _ aggregate: Aggregate) {
        aggregates.withLock { cache in
            if cache.count >= maxCached, let oldest = cache.min(by: { $0.value.lastSeen < $1.value.lastSeen }) { cache[oldest.key] = nil }
            cache[signature] = aggregate
        }
    }

    private func forget(_ signature: Signature) { _ = aggregates.withLock { $0.removeValue(forKey: signature) } }

    private func limiter(for object: String) -> TokenBucket {
        limiters.withLock { map in
            if let bucket = map[object] { return bucket }
            if map.count >= maxCached { map.removeAll() }
            let bucket = TokenBucket(qps: 1 / refillInterval.seconds, burst: burst, clock: clock)
            map[object] = bucket
            return bucket
        }
    }
}
