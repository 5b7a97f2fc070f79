import Foundation
import KubeCore

/// The patch types kube-apiserver accepts, by `Content-Type`.
public enum PatchType: String, Sendable, Hashable, CaseIterable {
    case json = "application/json-patch+json"
    case merge = "application/merge-patch+json"
    case strategicMerge = "application/strategic-merge-patch+json"
}

extension KubeSim {
    /// Creates an object, assigning `uid`, `creationTimestamp`, `resourceVersion` and, from
    /// `generateName`, a name. A new pod's `status` is replaced by `phase: Pending`.
    ///
    /// - Throws: 400 when the body's kind or namespace contradicts the URL; 404 when the
    ///   namespace does not exist; 409 `AlreadyExists`; 422 `Invalid` naming the field.
    public func create(_ type: ResourceType, namespace: String?, _ body: JSONValue, dryRun: Bool = false) throws(APIStatus) -> JSONValue {
        try create(type, namespace: namespace, body, dryRun: dryRun, uid: nil)
    }

    /// ``create(_:namespace:_:dryRun:)`` with the `uid` a dry run already showed the webhooks.
    func create(_ type: ResourceType, namespace: String?, _ body: JSONValue, dryRun: Bool, uid: String?) throws(APIStatus) -> JSONValue {
        try checkFault(verb: "create", type: type, subresource: nil)
        var object = try checkedBody(body, for: type, namespace: namespace)
        let metaName = object.value(at: ["metadata", "name"])?.stringValue ?? ""
        let generateName = object.value(at: ["metadata", "generateName"])?.stringValue ?? ""
        if metaName.isEmpty {
            guard !generateName.isEmpty else {
                throw .invalid(kind: type.kind, name: "", causes: [APIStatus.Cause(reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name")], group: type.group)
            }
            object[path: ["metadata", "name"]] = .string(generateName + Self.randomSuffix())
        }
        let name = object.value(at: ["metadata", "name"])?.stringValue ?? ""
        try Validation.checkName(name, kind: type.kind, group: type.group, isNamespace: type.plural == "namespaces")
        try Validation.checkMetadata(object, kind: type.kind, name: name, group: type.group)
        if type.group.isEmpty && type.plural == "pods" { object = try PodRules.defaulted(object) }
        try Canonical.apply(to: &object, type: type)
        object = try CustomResourceDefinitions.admit(object, type: type)
        object = try WebhookConfigurations.admit(object, type: type)
        var served: ResourceType?
        if type.isCustomResourceDefinition { served = try CustomResourceDefinitions.servedType(object) }
        let key = ObjectKey(namespace: type.isNamespaced ? namespace : nil, name: name)
        let now = clock.now
        return try state.withLock { s throws(APIStatus) -> JSONValue in
            if let namespace, type.isNamespaced {
                guard let ns = s.objects[ResourceID(group: "", plural: "namespaces")]?[ObjectKey(name: namespace)] else {
                    throw .notFound("namespaces", namespace)
                }
                if ns.value(at: ["status", "phase"])?.stringValue == "Terminating" {
                    throw APIStatus(code: 403, reason: "Forbidden", message: "\(type.plural) \"\(name)\" is forbidden: unable to create new content in namespace \(namespace) because it is being terminated")
                }
            }
            if s.objects[type.id]?[key] != nil { throw .alreadyExists(type.plural, name, group: type.group) }
            var meta = object["metadata"]?.objectValue ?? [:]
            meta["uid"] = .string(uid ?? UUID().uuidString.lowercased())
            meta["creationTimestamp"] = .string(RFC3339.format(now))
            meta["deletionTimestamp"] = nil
            meta["deletionGracePeriodSeconds"] = nil
            if object["spec"] != nil || !type.group.isEmpty && type.group != "coordination.k8s.io" && type.group != "events.k8s.io" {
                meta["generation"] = .int(1)
            } else {
                meta["generation"] = nil
            }
            if dryRun { meta["resourceVersion"] = nil; object["metadata"] = .object(meta); return object }
            let rv = s.nextRevision()
            meta["resourceVersion"] = .string(String(rv))
            object["metadata"] = .object(meta)
            if type.hasStatusSubresource { object = Self.initialStatus(object, type: type) }
            if served != nil { object["status"] = CustomResourceDefinitions.establishedStatus(object, now: now) }
            s.objects[type.id, default: [:]][key] = object
            s.record(HistoryEvent(revision: rv, resource: type.id, type: "ADDED", key: key, object: object), limit: historyLimit)
            if let served { s.types[served.id] = served }
            return object
        }
    }

    /// Replaces an object (PUT). With `subresource: "status"` only `status` changes; otherwise
    /// everything but `status` (for kinds with a status subresource) and server-owned metadata.
    ///
    /// A body without `resourceVersion` updates unconditionally; a stale one gets 409 `Conflict`.
    /// An update that changes nothing returns the object without a new version, as kube-apiserver does.
    /// With `dryRun` the result is returned as it would be stored, and nothing changes.
    /// - Throws: 404, 409 `Conflict`, 400 when the name contradicts the URL, 422 for invalid
    ///   metadata or a forbidden pod spec change.
    public func update(_ type: ResourceType, namespace: String?, name: String, _ body: JSONValue, subresource: String? = nil, dryRun: Bool = false) throws(APIStatus) -> JSONValue {
        try update(type, namespace: namespace, name: name, body, subresource: subresource, dryRun: dryRun, storedVersion: nil)
    }

    /// ``update(_:namespace:name:_:subresource:dryRun:)``, failing with 409 unless the stored
    /// object is still at `storedVersion` (the version the webhooks were shown).
    func update(_ type: ResourceType, namespace: String?, name: String, _ body: JSONValue, subresource: String?, dryRun: Bool, storedVersion: String?) throws(APIStatus) -> JSONValue {
        try checkFault(verb: "update", type: type, subresource: subresource)
        let object = try checkedBody(body, for: type, namespace: namespace)
        if let bodyName = object.value(at: ["metadata", "name"])?.stringValue, !bodyName.isEmpty, bodyName != name {
            throw .badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        return try state.withLock { s throws(APIStatus) -> JSONValue in
            try commitUpdate(&s, type: type, namespace: namespace, name: name, proposed: object, subresource: subresource, dryRun: dryRun, storedVersion: storedVersion)
        }
    }

    /// Applies a patch to the stored object and stores the result with update semantics.
    ///
    /// A `resourceVersion` the patch sets is a precondition (409 when stale), as with
    /// kube-apiserver; a failed JSON patch `test` is 422, a malformed patch 400. With `dryRun`
    /// the result is returned as it would be stored, and nothing changes.
    public func patch(_ type: ResourceType, namespace: String?, name: String, _ patch: JSONValue, patchType: PatchType, subresource: String? = nil, dryRun: Bool = false) throws(APIStatus) -> JSONValue {
        try self.patch(type, namespace: namespace, name: name, patch, patchType: patchType, subresource: subresource, dryRun: dryRun, storedVersion: nil)
    }

    /// ``patch(_:namespace:name:_:patchType:subresource:dryRun:)``, failing with 409 unless the
    /// stored object is still at `storedVersion` (the version the webhooks were shown).
    func patch(_ type: ResourceType, namespace: String?, name: String, _ patch: JSONValue, patchType: PatchType, subresource: String?, dryRun: Bool, storedVersion: String?) throws(APIStatus) -> JSONValue {
        try checkFault(verb: "patch", type: type, subresource: subresource)
        return try state.withLock { s throws(APIStatus) -> JSONValue in
            let key = ObjectKey(namespace: type.isNamespaced ? namespace : nil, name: name)
            guard let current = s.objects[type.id]?[key] else { throw .notFound(type.plural, name, group: type.group) }
            let patched: JSONValue
            switch patchType {
            case .merge:
                guard case .object = patch else { throw .badRequest("merge patch must be a JSON object") }
                patched = MergePatch.apply(patch, to: current)
            case .strategicMerge:
                guard case .object = patch else { throw .badRequest("strategic merge patch must be a JSON object") }
                do { patched = try StrategicMergePatch.apply(patch, to: current) } catch {
                    throw .invalid(kind: type.kind, name: name, causes: [APIStatus.Cause(reason: "FieldValueInvalid", message: "\(error)", field: "patch")], group: type.group)
                }
            case .json:
                let operations: JSONPatch
                do { operations = try KubeJSON.typed(JSONPatch.self, from: patch) } catch {
                    throw .badRequest("the body of a JSON patch must be a list of operations with 'op' and 'path': \(error)")
                }
                do { patched = try operations.apply(to: current) } catch {
                    throw .invalid(kind: type.kind, name: name, causes: [APIStatus.Cause(reason: "FieldValueInvalid", message: "\(error)", field: "patch")], group: type.group)
                }
            }
            guard case .object = patched else { throw APIStatus(code: 422, reason: "Invalid", message: "the patch replaced the whole object with a non-object") }
            return try commitUpdate(&s, type: type, namespace: namespace, name: name, proposed: patched, subresource: subresource, dryRun: dryRun, storedVersion: storedVersion)
        }
    }

    /// Deletes an object, honouring finalizers (the object stays with `deletionTimestamp` until
    /// they are removed) and, for pods bound to a node, the grace period (the kubelet finishes
    /// the deletion with `gracePeriodSeconds: 0`). Deleting a namespace deletes its contents.
    ///
    /// - Returns: the object as deleted, or as marked for deletion.
    /// - Throws: 404; 409 when a precondition (`uid`, `resourceVersion`) does not hold.
    public func delete(_ type: ResourceType, namespace: String?, name: String, options: DeleteOptions = DeleteOptions()) throws(APIStatus) -> JSONValue {
        try checkFault(verb: "delete", type: type, subresource: nil)
        if type.group.isEmpty && type.plural == "namespaces" { return try deleteNamespace(name, options: options) }
        let now = clock.now
        let key = ObjectKey(namespace: type.isNamespaced ? namespace : nil, name: name)
        let (result, closed) = try state.withLock { s throws(APIStatus) -> (JSONValue, [WatchChannel]) in
            let result = try commitDelete(&s, type: type, key: key, options: options, now: now)
            guard type.isCustomResourceDefinition, s.objects[type.id]?[key] == nil, options.dryRun?.contains("All") != true else { return (result, []) }
            return (result, stopServing(&s, definedBy: result))
        }
        for channel in closed { channel.close() }
        return result
    }

    func commitDelete(_ s: inout State, type: ResourceType, key: ObjectKey, options: DeleteOptions, now: Date) throws(APIStatus) -> JSONValue {
        guard var object = s.objects[type.id]?[key] else { throw .notFound(type.plural, key.name, group: type.group) }
        if let uid = options.preconditions?.uid, uid != object.value(at: ["metadata", "uid"])?.stringValue {
            throw .conflict(type.plural, key.name, group: type.group, reason: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(object.value(at: ["metadata", "uid"])?.stringValue ?? "")")
        }
        if let rv = options.preconditions?.resourceVersion, rv != object.value(at: ["metadata", "resourceVersion"])?.stringValue {
            throw .conflict(type.plural, key.name, group: type.group, reason: "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(object.value(at: ["metadata", "resourceVersion"])?.stringValue ?? "")")
        }
        if options.dryRun?.contains("All") == true { return object }
        let hasFinalizers = !(object.value(at: ["metadata", "finalizers"])?.arrayValue ?? []).isEmpty
        var grace: Int64 = 0
        if type.group.isEmpty && type.plural == "pods" { grace = PodRules.gracePeriod(for: object, requested: options.gracePeriodSeconds) }
        let old = object
        if grace > 0 {
            // Graceful: mark, and let the kubelet finish. A shorter grace period may replace a longer one.
            let currentGrace = object.value(at: ["metadata", "deletionGracePeriodSeconds"])?.intValue
            if currentGrace == nil || grace < currentGrace! {
                object[path: ["metadata", "deletionTimestamp"]] = .string(RFC3339.format(now.addingTimeInterval(Double(grace))))
                object[path: ["metadata", "deletionGracePeriodSeconds"]] = .int(grace)
                return store(&s, type: type, key: key, object: object, old: old)
            }
            return object
        }
        if hasFinalizers {
            if object.value(at: ["metadata", "deletionTimestamp"]) == nil || object.value(at: ["metadata", "deletionGracePeriodSeconds"])?.intValue != 0 {
                if object.value(at: ["metadata", "deletionTimestamp"]) == nil {
                    object[path: ["metadata", "deletionTimestamp"]] = .string(RFC3339.format(now))
                }
                object[path: ["metadata", "deletionGracePeriodSeconds"]] = .int(0)
                return store(&s, type: type, key: key, object: object, old: old)
            }
            return object
        }
        return remove(&s, type: type, key: key)
    }

    func remove(_ s: inout State, type: ResourceType, key: ObjectKey) -> JSONValue {
        guard var object = s.objects[type.id]?.removeValue(forKey: key) else { return .null }
        let old = object
        let rv = s.nextRevision()
        object[path: ["metadata", "resourceVersion"]] = .string(String(rv))
        s.record(HistoryEvent(revision: rv, resource: type.id, type: "DELETED", key: key, object: object, oldObject: old), limit: historyLimit)
        return object
    }

    func store(_ s: inout State, type: ResourceType, key: ObjectKey, object: JSONValue, old: JSONValue) -> JSONValue {
        var object = object
        let rv = s.nextRevision()
        object[path: ["metadata", "resourceVersion"]] = .string(String(rv))
        s.objects[type.id, default: [:]][key] = object
        s.record(HistoryEvent(revision: rv, resource: type.id, type: "MODIFIED", key: key, object: object, oldObject: old), limit: historyLimit)
        return object
    }

    /// The shared tail of update and patch: preconditions, server-owned fields, no-op detection,
    /// generation, finalizer completion.
    func commitUpdate(_ s: inout State, type: ResourceType, namespace: String?, name: String, proposed: JSONValue, subresource: String?,
                      dryRun: Bool = false, storedVersion: String? = nil) throws(APIStatus) -> JSONValue {
        let key = ObjectKey(namespace: type.isNamespaced ? namespace : nil, name: name)
        guard let current = s.objects[type.id]?[key] else { throw .notFound(type.plural, name, group: type.group) }
        let currentRV = current.value(at: ["metadata", "resourceVersion"])?.stringValue
        if let storedVersion, storedVersion != currentRV { throw .conflict(type.plural, name, group: type.group) }
        if let rv = proposed.value(at: ["metadata", "resourceVersion"])?.stringValue, !rv.isEmpty, rv != currentRV {
            throw .conflict(type.plural, name, group: type.group)
        }
        if let meta = proposed["metadata"], meta.objectValue == nil {
            throw .invalid(kind: type.kind, name: name, causes: [APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: \(meta.kindName): metadata must be an object", field: "metadata")], group: type.group)
        }
        var next: JSONValue
        if subresource == "status" {
            next = current
            next["status"] = proposed["status"]
            try Canonical.apply(to: &next, type: type)
            next = try CustomResourceDefinitions.admit(next, type: type)
        } else {
            next = proposed
            if type.hasStatusSubresource { next["status"] = current["status"] }
            for field in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name"] {
                next[path: ["metadata", field]] = current.value(at: ["metadata", field])
            }
            next["apiVersion"] = current["apiVersion"]
            next["kind"] = current["kind"]
            try Canonical.apply(to: &next, type: type)
            next = try CustomResourceDefinitions.admit(next, type: type)
            next = try WebhookConfigurations.admit(next, type: type)
            try Validation.checkMetadata(next, kind: type.kind, name: name, group: type.group)
            if type.group.isEmpty && type.plural == "pods" { try PodRules.checkUpdate(from: current, to: next, name: name) }
            if current.value(at: ["metadata", "deletionTimestamp"]) != nil {
                let added = Set((next.value(at: ["metadata", "finalizers"])?.arrayValue ?? []).compactMap(\.stringValue))
                    .subtracting((current.value(at: ["metadata", "finalizers"])?.arrayValue ?? []).compactMap(\.stringValue))
                if !added.isEmpty {
                    throw .invalid(kind: type.kind, name: name, causes: [APIStatus.Cause(reason: "FieldValueForbidden", message: "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers \(added.sorted())", field: "metadata.finalizers")], group: type.group)
                }
            }
        }
        next[path: ["metadata", "resourceVersion"]] = .string(currentRV ?? "")
        if next == current { return current }
        if let generation = current.value(at: ["metadata", "generation"])?.intValue, Self.specChanged(current, next) {
            next[path: ["metadata", "generation"]] = .int(generation + 1)
        }
        var served: ResourceType?
        if type.isCustomResourceDefinition && subresource == nil { served = try CustomResourceDefinitions.servedType(next) }
        if dryRun { return next }
        let stored = store(&s, type: type, key: key, object: next, old: current)
        if let served { s.types[served.id] = served }
        if stored.value(at: ["metadata", "deletionTimestamp"]) != nil,
            (stored.value(at: ["metadata", "finalizers"])?.arrayValue ?? []).isEmpty,
            stored.value(at: ["metadata", "deletionGracePeriodSeconds"])?.intValue ?? 0 == 0
        {
            return remove(&s, type: type, key: key)
        }
        return stored
    }

    /// Stops serving the kind a deleted CRD defined: its objects are deleted (DELETED events) and
    /// its watches end. - Returns: the watches to close once the lock is released.
    func stopServing(_ s: inout State, definedBy crd: JSONValue) -> [WatchChannel] {
        guard let group = crd.value(at: ["spec", "group"])?.stringValue, let plural = crd.value(at: ["spec", "names", "plural"])?.stringValue,
            let served = s.types[ResourceID(group: group, plural: plural)], served.schema != nil
        else { return [] }
        for key in (s.objects[served.id] ?? [:]).keys.sorted() { _ = remove(&s, type: served, key: key) }
        s.objects[served.id] = nil
        s.types[served.id] = nil
        let closed = s.watchers.values.filter { $0.type.id == served.id }
        for channel in closed { s.watchers[channel.id] = nil }
        return closed
    }

    func deleteNamespace(_ name: String, options: DeleteOptions) throws(APIStatus) -> JSONValue {
        let nsType = try resourceType(of: Namespace.self)
        let now = clock.now
        return try state.withLock { s throws(APIStatus) -> JSONValue in
            let key = ObjectKey(name: name)
            guard let ns = s.objects[nsType.id]?[key] else { throw .notFound("namespaces", name) }
            if let uid = options.preconditions?.uid, uid != ns.value(at: ["metadata", "uid"])?.stringValue {
                throw .conflict("namespaces", name, reason: "Precondition failed: UID in precondition: \(uid)")
            }
            if options.dryRun?.contains("All") == true { return ns }
            var marked = ns
            marked[path: ["status", "phase"]] = "Terminating"
            marked[path: ["metadata", "deletionTimestamp"]] = .string(RFC3339.format(now))
            _ = store(&s, type: nsType, key: key, object: marked, old: ns)
            for (id, objects) in s.objects {
                guard let type = s.types[id], type.isNamespaced else { continue }
                for objectKey in objects.keys where objectKey.namespace == name { _ = remove(&s, type: type, key: objectKey) }
            }
            return remove(&s, type: nsType, key: key)
        }
    }

    /// Parses a request body: an object whose `apiVersion`/`kind`, when present, name this kind,
    /// and whose namespace, when present, is the URL's.
    func checkedBody(_ body: JSONValue, for type: ResourceType, namespace: String?) throws(APIStatus) -> JSONValue {
        guard case .object = body else { throw .badRequest("the body must be a JSON object, not \(body.kindName)") }
        var object = body
        if let apiVersion = object["apiVersion"]?.stringValue, apiVersion != type.apiVersion {
            throw .badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(type.apiVersion))")
        }
        if let kind = object["kind"]?.stringValue, kind != type.kind {
            throw .badRequest("the kind in the data (\(kind)) does not match the expected kind (\(type.kind))")
        }
        if let meta = object["metadata"], meta.objectValue == nil, !meta.isNull {
            throw .badRequest("metadata must be an object, not \(meta.kindName)")
        }
        object["apiVersion"] = .string(type.apiVersion)
        object["kind"] = .string(type.kind)
        if type.isNamespaced {
            let bodyNamespace = object.value(at: ["metadata", "namespace"])?.stringValue ?? ""
            if !bodyNamespace.isEmpty, let namespace, bodyNamespace != namespace {
                throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            guard let ns = namespace ?? (bodyNamespace.isEmpty ? nil : bodyNamespace) else {
                throw .badRequest("a namespace is required for \(type.plural)")
            }
            object[path: ["metadata", "namespace"]] = .string(ns)
        } else {
            object[path: ["metadata", "namespace"]] = nil
        }
        return object
    }

    static func initialStatus(_ object: JSONValue, type: ResourceType) -> JSONValue {
        var object = object
        switch (type.group, type.plural) {
        case ("", "pods"): object["status"] = ["phase": "Pending", "qosClass": .string(PodRules.qosClass(object))]
        case ("", "namespaces"): object["status"] = ["phase": "Active"]
        case ("", "nodes"): break  // nodes may be created with their status, as kubelets do
        default: object["status"] = nil  // custom resources: status only through the subresource
        }
        return object
    }

    static func specChanged(_ a: JSONValue, _ b: JSONValue) -> Bool {
        var x = a.objectValue ?? [:]
        var y = b.objectValue ?? [:]
        for k in ["metadata", "status"] {
            x[k] = nil
            y[k] = nil
        }
        return x != y
    }

    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet.randomElement()! })
    }
}
