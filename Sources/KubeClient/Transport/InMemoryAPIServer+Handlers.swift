import Foundation
import KubeCore

extension InMemoryAPIServer {
    func handle(_ request: APIRequest) throws -> APIResponse {
        let route = try Route(request.path)
        count(request)
        switch (request.verb, route.name, route.subresource) {
        case (.get, nil, _):
            try checkFault(verb: "list", resource: route.plural)
            return try list(route, request)
        case (.get, _?, _):
            try checkFault(verb: "get", resource: route.plural)
            return try ok(existing(route))
        case (.post, nil, _):
            try checkFault(verb: "create", resource: route.plural)
            return try ok(create(route, body(request)), code: 201)
        case (.post, _?, "binding"):
            try checkFault(verb: "create", resource: "pods/binding")
            return try bind(route, body(request))
        case (.post, _?, "eviction"):
            try checkFault(verb: "create", resource: "pods/eviction")
            try remove(route, options: nil)
            return try ok(.object(["kind": "Status", "apiVersion": "v1", "status": "Success", "code": .int(201)]), code: 201)
        case (.put, _?, let sub):
            try checkFault(verb: "update", resource: route.plural)
            return try ok(update(route, body(request), subresource: sub))
        case (.patch, _?, let sub):
            try checkFault(verb: "patch", resource: route.plural)
            return try ok(patch(route, request, subresource: sub))
        case (.delete, _?, nil):
            try checkFault(verb: "delete", resource: route.plural)
            let options = try request.body.map { try KubeJSON.decode(DeleteOptions.self, from: $0) }
            return try ok(remove(route, options: options))
        default:
            throw APIStatus.methodNotAllowed("\(request.verb.rawValue) \(request.path) is not supported")
        }
    }

    private func ok(_ value: JSONValue, code: Int = 200) throws -> APIResponse {
        APIResponse(statusCode: code, headers: ["content-type": "application/json"], body: try KubeJSON.encode(value))
    }

    private func body(_ request: APIRequest) throws -> JSONValue {
        guard let data = request.body, let value = try? KubeJSON.decode(JSONValue.self, from: data) else {
            throw APIStatus.badRequest("request body is not JSON")
        }
        return value
    }

    private func existing(_ route: Route) throws -> JSONValue {
        guard let value = state.withLock({ $0.objects[route.plural]?[route.key] }) else {
            throw APIStatus.notFound(route.plural, route.name ?? "")
        }
        return value
    }

    private func list(_ route: Route, _ request: APIRequest) throws -> APIResponse {
        let selector = try request.queryValue("labelSelector").map { try LabelSelector(parsing: $0) }
        let limit = request.queryValue("limit").flatMap(Int.init) ?? Int.max
        let after = request.queryValue("continue").flatMap { token -> (version: String, key: String)? in
            let parts = token.split(separator: "|", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }
        let (items, version) = state.withLock { s -> ([(key: ObjectKey, value: JSONValue)], String) in
            let matching = (s.objects[route.plural] ?? [:]).filter { Self.matches($0.value, key: $0.key, namespace: route.namespace, selector: selector) }
            let sorted = matching.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
            return (sorted, String(s.version))
        }
        let remaining = after.map { token in items.filter { $0.key.description > token.key } } ?? items
        let page = remaining.prefix(limit)
        var meta: JSONObject = ["resourceVersion": .string(after?.version ?? version)]
        if remaining.count > page.count, let last = page.last {
            meta["continue"] = .string("\(after?.version ?? version)|\(last.key.description)")
            meta["remainingItemCount"] = .int(Int64(remaining.count - page.count))
        }
        return try ok(.object(["kind": "List", "apiVersion": "v1", "metadata": .object(meta), "items": .array(page.map { $0.value })]))
    }

    private func create(_ route: Route, _ value: JSONValue) throws -> JSONValue {
        var value = value
        var metadata = value["metadata"]?.objectValue ?? [:]
        if metadata["name"]?.stringValue == nil, let prefix = metadata["generateName"]?.stringValue {
            metadata["name"] = .string(prefix + String(UUID().uuidString.lowercased().prefix(5)))
        }
        guard let name = metadata["name"]?.stringValue, !name.isEmpty else {
            throw APIStatus.invalid(kind: route.plural, name: "", causes: [.init(reason: "FieldValueRequired", message: "name is required", field: "metadata.name")])
        }
        if let ns = route.namespace { metadata["namespace"] = .string(ns) }
        metadata["uid"] = nil
        metadata["creationTimestamp"] = nil
        value["metadata"] = .object(metadata)
        let key = ObjectKey(namespace: route.namespace, name: name)
        return try state.withLock { s in
            if s.objects[route.plural]?[key] != nil { throw APIStatus.alreadyExists(route.plural, name) }
            let stamped = Self.stamp(value, defaults: ObjectMeta(), clock: clock, version: s.version + 1)
            try write(&s, plural: route.plural, key: key, type: "ADDED", object: stamped)
            return stamped
        }
    }

    private func update(_ route: Route, _ value: JSONValue, subresource: String?) throws -> JSONValue {
        try state.withLock { s in
            guard let current = s.objects[route.plural]?[route.key] else { throw APIStatus.notFound(route.plural, route.name ?? "") }
            let sent = value.value(at: ["metadata", "resourceVersion"])?.stringValue
            if let sent, sent != current.value(at: ["metadata", "resourceVersion"])?.stringValue {
                throw APIStatus.conflict(route.plural, route.name ?? "")
            }
            var next = value
            if subresource == "status" {
                next = current
                next["status"] = value["status"]
            } else if current["status"] != nil {
                next["status"] = current["status"]
            }
            next = preserveIdentity(next, from: current)
            next = Self.stamp(next, defaults: ObjectMeta(), clock: clock, version: s.version + 1)
            try write(&s, plural: route.plural, key: route.key, type: "MODIFIED", object: next)
            return next
        }
    }

    private func patch(_ route: Route, _ request: APIRequest, subresource: String?) throws -> JSONValue {
        let patchBody = try body(request)
        return try state.withLock { s in
            guard let current = s.objects[route.plural]?[route.key] else { throw APIStatus.notFound(route.plural, route.name ?? "") }
            var next: JSONValue
            switch request.contentType {
            case "application/merge-patch+json": next = MergePatch.apply(patchBody, to: current)
            case "application/strategic-merge-patch+json":
                do { next = try StrategicMergePatch.apply(patchBody, to: current) } catch { throw APIStatus.badRequest("\(error)") }
            case "application/json-patch+json":
                let operations = try KubeJSON.typed(JSONPatch.self, from: patchBody)
                do { next = try operations.apply(to: current) } catch {
                    throw APIStatus.invalid(kind: route.plural, name: route.name ?? "", causes: [.init(reason: "FieldValueInvalid", message: "\(error)")])
                }
            default: throw APIStatus.unsupportedMediaType("unsupported patch type \(request.contentType ?? "none")")
            }
            if let sent = patchBody.value(at: ["metadata", "resourceVersion"])?.stringValue,
                sent != current.value(at: ["metadata", "resourceVersion"])?.stringValue
            {
                throw APIStatus.conflict(route.plural, route.name ?? "")
            }
            if subresource == "status" {
                let status = next["status"]
                next = current
                next["status"] = status
            }
            next = Self.stamp(preserveIdentity(next, from: current), defaults: ObjectMeta(), clock: clock, version: s.version + 1)
            try write(&s, plural: route.plural, key: route.key, type: "MODIFIED", object: next)
            return next
        }
    }

    private func preserveIdentity(_ value: JSONValue, from current: JSONValue) -> JSONValue {
        var value = value
        var metadata = value["metadata"]?.objectValue ?? [:]
        for field in ["uid", "creationTimestamp", "name", "namespace"] { metadata[field] = current.value(at: ["metadata", field]) }
        value["metadata"] = .object(metadata)
        return value
    }

    @discardableResult
    private func remove(_ route: Route, options: DeleteOptions?) throws -> JSONValue {
        try state.withLock { s in
            guard let current = s.objects[route.plural]?[route.key] else { throw APIStatus.notFound(route.plural, route.name ?? "") }
            if let uid = options?.preconditions?.uid, uid != current.value(at: ["metadata", "uid"])?.stringValue {
                throw APIStatus.conflict(route.plural, route.name ?? "", reason: "Precondition failed: UID in precondition: \(uid)")
            }
            if let rv = options?.preconditions?.resourceVersion, rv != current.value(at: ["metadata", "resourceVersion"])?.stringValue {
                throw APIStatus.conflict(route.plural, route.name ?? "", reason: "Precondition failed: ResourceVersion in precondition: \(rv)")
            }
            var gone = current
            var metadata = gone["metadata"]?.objectValue ?? [:]
            metadata["resourceVersion"] = .string(String(s.version + 1))
            gone["metadata"] = .object(metadata)
            try write(&s, plural: route.plural, key: route.key, type: "DELETED", object: gone)
            return gone
        }
    }

    private func bind(_ route: Route, _ binding: JSONValue) throws -> APIResponse {
        guard let node = binding.value(at: ["target", "name"])?.stringValue else { throw APIStatus.badRequest("binding has no target.name") }
        try state.withLock { s in
            guard var pod = s.objects["pods"]?[route.key] else { throw APIStatus.notFound("pods", route.name ?? "") }
            if let bound = pod.value(at: ["spec", "nodeName"])?.stringValue, !bound.isEmpty {
                throw APIStatus.conflict("pods", route.name ?? "", reason: "pod \(route.name ?? "") is already assigned to node \"\(bound)\"")
            }
            var spec = pod["spec"]?.objectValue ?? [:]
            spec["nodeName"] = .string(node)
            pod["spec"] = .object(spec)
            pod = Self.stamp(pod, defaults: ObjectMeta(), clock: clock, version: s.version + 1)
            try write(&s, plural: "pods", key: route.key, type: "MODIFIED", object: pod)
        }
        return try ok(.object(["kind": "Status", "apiVersion": "v1", "status": "Success", "code": .int(201)]), code: 201)
    }
}
