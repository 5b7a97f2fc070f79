import Foundation

/// Metadata every persisted object has (Kubernetes API reference, `meta/v1 ObjectMeta`).
///
/// Members n8s does not model (`managedFields`, `selfLink`, ...) are kept in ``unknownFields``
/// and written back unchanged.
public struct ObjectMeta: Sendable, Hashable, Codable {
    public var name: String?
    /// Prefix the server completes with a random suffix when `name` is empty, on create only.
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    /// Opaque version for optimistic concurrency: compare only for equality, never order.
    public var resourceVersion: String?
    /// Sequence number of the desired state (`spec`); status changes do not bump it.
    public var generation: Int64?
    public var creationTimestamp: Date?
    /// Set by the server when a delete is requested and finalizers or a grace period delay it.
    public var deletionTimestamp: Date?
    public var deletionGracePeriodSeconds: Int64?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    public var finalizers: [String]?
    public var unknownFields: JSONObject = [:]

    public init(
        name: String? = nil,
        namespace: String? = nil,
        labels: [String: String]? = nil,
        annotations: [String: String]? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, generateName, namespace, uid, resourceVersion, generation, creationTimestamp
        case deletionTimestamp, deletionGracePeriodSeconds, labels, annotations, ownerReferences, finalizers
    }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        name = try c(.name)
        generateName = try c(.generateName)
        namespace = try c(.namespace)
        uid = try c(.uid)
        resourceVersion = try c(.resourceVersion)
        generation = try c(.generation)
        creationTimestamp = try c(.creationTimestamp)
        deletionTimestamp = try c(.deletionTimestamp)
        deletionGracePeriodSeconds = try c(.deletionGracePeriodSeconds)
        labels = try c(.labels)
        annotations = try c(.annotations)
        ownerReferences = try c(.ownerReferences)
        finalizers = try c(.finalizers)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.name, name)
        try c(.generateName, generateName)
        try c(.namespace, namespace)
        try c(.uid, uid)
        try c(.resourceVersion, resourceVersion)
        try c(.generation, generation)
        try c(.creationTimestamp, creationTimestamp)
        try c(.deletionTimestamp, deletionTimestamp)
        try c(.deletionGracePeriodSeconds, deletionGracePeriodSeconds)
        try c(.labels, omittingEmpty: labels)
        try c(.annotations, omittingEmpty: annotations)
        try c(.ownerReferences, omittingEmpty: ownerReferences)
        try c(.finalizers, omittingEmpty: finalizers)
    }
}

extension ObjectMeta {
    /// `true` once deletion was requested (graceful deletion or finalizers pending).
    public var isBeingDeleted: Bool { deletionTimestamp != nil }

    public func label(_ key: String) -> String? { labels?[key] }
    public func annotation(_ key: String) -> String? { annotations?[key] }
}

/// A link from a dependent to its owner (`meta/v1 OwnerReference`).
public struct OwnerReference: Sendable, Hashable, Codable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    /// `true` for the managing controller; at most one owner reference has it.
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
    }
}

/// Metadata of a list (`meta/v1 ListMeta`).
public struct ListMeta: Sendable, Hashable, Codable {
    /// The version to start a watch from so that it sees every change after this list.
    public var resourceVersion: String?
    /// Opaque token for the next page when the list was limited; absent on the last page.
    public var `continue`: String?
    /// How many items are left after this page, when the server knows.
    public var remainingItemCount: Int64?

    public init(resourceVersion: String? = nil, continue token: String? = nil, remainingItemCount: Int64? = nil) {
        self.resourceVersion = resourceVersion
        self.continue = token
        self.remainingItemCount = remainingItemCount
    }
}
