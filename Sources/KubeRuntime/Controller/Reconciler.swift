import Foundation
import KubeClient
import KubeCore
import Logging

/// What the controller does after a successful reconcile.
public struct Action: Sendable, Hashable {
    /// `nil`: wait for the next watch event on this object (or on one it owns).
    public var requeueAfter: Duration?
    public static let awaitChange = Action(requeueAfter: nil)
    public static func requeue(after delay: Duration) -> Action { Action(requeueAfter: delay) }
}

/// What a reconcile may use besides the object: names for logs, the clock, and the attempt count.
public struct ReconcileContext: Sendable {
    /// The controller's name (`controller` metric dimension).
    public let controller: String
    /// The object's key.
    public let key: ObjectKey
    /// Unique per call, for logs (`reconcile.id`).
    public let reconcileID: String
    /// Consecutive failures of this key before this call (0 on a first try).
    public let failures: Int
    public let clock: any KubeClock
    /// Carries `controller`, `k8s.namespace`, `k8s.name` and `reconcile.id`.
    public let logger: Logger
}

/// Drives one kind toward its desired state. Dependencies are stored properties.
///
/// Thrown errors are retried with per-object exponential backoff, unless wrapped in
/// ``TerminalError``. Never called twice at once for the same object.
public protocol Reconciler<Object>: Sendable {
    associatedtype Object: Resource
    func reconcile(_ object: Object, context: ReconcileContext) async throws -> Action
    /// The object is gone: deleted while watched, or found missing by a relist. `lastKnown` is the
    /// last version the cache held (`nil` when the key was queued only by a secondary watch).
    /// Default: nothing to do.
    func reconcileDeleted(_ key: ObjectKey, lastKnown: Object?, context: ReconcileContext) async throws -> Action
}

extension Reconciler {
    public func reconcileDeleted(_ key: ObjectKey, lastKnown: Object?, context: ReconcileContext) async throws -> Action { .awaitChange }
}

/// Maps an object of a secondary kind to the keys of the primary objects that must be reconciled.
public enum KeyMapping {
    /// The object's controller owner of kind `kind` (same namespace).
    public static func controllerOwner<S: Resource>(kind: String) -> @Sendable (S) -> [ObjectKey] {
        { object in
            (object.metadata.ownerReferences ?? []).filter { $0.kind == kind && $0.controller == true }
                .map { ObjectKey(namespace: object.metadata.namespace, name: $0.name) }
        }
    }
}
