import Foundation
import KubeCore

/// Typed REST access to one kind, in one namespace (`nil`: all namespaces, or cluster-scoped).
///
/// Every call throws ``KubeClientError`` (or `CancellationError`). RBAC: the verb of each call on
/// `R.plural` in `R.group` (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`), and on
/// `plural/status`, `pods/binding` or `pods/eviction` for subresources.
public struct ResourceClient<R: Resource>: Sendable {
    public let client: KubeClient
    public let namespace: String?

    public init(client: KubeClient, namespace: String?) {
        self.client = client
        self.namespace = namespace
    }

    /// `/api/v1` or `/apis/<group>/<version>`.
    public static var apiPrefix: String { R.group.isEmpty ? "/api/\(R.version)" : "/apis/\(R.apiVersion)" }

    /// The collection path in `namespace` (all namespaces when `nil`).
    public static func collectionPath(in namespace: String?) -> String {
        if R.isNamespaced, let namespace { return "\(apiPrefix)/namespaces/\(namespace)/\(R.plural)" }
        return "\(apiPrefix)/\(R.plural)"
    }

    func itemPath(_ name: String, namespace explicit: String? = nil, subresource: String? = nil) throws -> String {
        guard !name.isEmpty else { throw KubeClientError.configuration("\(R.kind) name is empty") }
        let namespace = explicit ?? self.namespace
        if R.isNamespaced, namespace == nil {
            throw KubeClientError.configuration("\(R.kind) \"\(name)\" needs a namespace")
        }
        let base = "\(Self.collectionPath(in: namespace))/\(name)"
        return subresource.map { "\(base)/\($0)" } ?? base
    }

    // MARK: Reads

    /// - Throws: ``KubeClientError/isNotFound`` when absent.
    public func get(_ name: String) async throws -> R {
        try await decode(R.self, client.send(APIRequest(.get, itemPath(name))))
    }

    /// `get`, or `nil` when the object does not exist.
    public func getIfPresent(_ name: String) async throws -> R? {
        do { return try await get(name) } catch let error as KubeClientError where error.isNotFound { return nil }
    }

    /// One page: at most `options.limit` items from `continueToken`.
    public func listPage(_ options: ListOptions = ListOptions(), continue continueToken: String? = nil) async throws -> ObjectList<R> {
        var query = options.queryItems
        if let limit = options.limit { query.append(.init("limit", String(limit))) }
        if let continueToken { query.append(.init("continue", continueToken)) }
        if let rv = options.resourceVersion, continueToken == nil {
            query.append(.init("resourceVersion", rv))
            if let match = options.resourceVersionMatch { query.append(.init("resourceVersionMatch", match)) }
        }
        return try await decode(ObjectList<R>.self, client.send(APIRequest(.get, Self.collectionPath(in: namespace), query: query)))
    }

    /// Every matching object, following `continue` tokens page by page (`options.limit` per page).
    /// - Returns: all items, with the first page's `resourceVersion` (a consistent snapshot).
    /// - Throws: ``KubeClientError/isGone`` when a continue token expired mid-way (list again).
    public func list(_ options: ListOptions = ListOptions()) async throws -> ObjectList<R> {
        var result = try await listPage(options)
        var token = result.metadata.continue
        while let next = token, !next.isEmpty {
            let page = try await listPage(options, continue: next)
            result.items.append(contentsOf: page.items)
            token = page.metadata.continue
        }
        result.metadata.continue = nil
        result.metadata.remainingItemCount = nil
        return result
    }

    // MARK: Writes

    /// Creates `object` in its own namespace, else this client's.
    /// - Throws: ``KubeClientError/isAlreadyExists``.
    public func create(_ object: R) async throws -> R {
        let ns = object.metadata.namespace ?? namespace
        if R.isNamespaced, ns == nil { throw KubeClientError.configuration("\(R.kind) needs a namespace") }
        return try await decode(R.self, client.send(try encoded(.post, Self.collectionPath(in: ns), object)))
    }

    /// Replaces `object`; its `metadata.resourceVersion` must be current.
    /// - Throws: ``KubeClientError/isConflict`` when it is stale.
    public func update(_ object: R) async throws -> R {
        let path = try itemPath(object.name, namespace: object.metadata.namespace)
        return try await decode(R.self, client.send(try encoded(.put, path, object)))
    }

    /// Replaces the status of `object` (subresource `status`; spec changes are ignored by the server).
    public func updateStatus(_ object: R) async throws -> R {
        let path = try itemPath(object.name, namespace: object.metadata.namespace, subresource: "status")
        return try await decode(R.self, client.send(try encoded(.put, path, object)))
    }

    /// Applies `patch` to `name` (or to its `subresource`, e.g. `status`).
    /// - Throws: ``KubeClientError/isConflict`` or 422 `Invalid` when a JSON-patch `test` fails.
    public func patch(_ name: String, _ patch: Patch, subresource: String? = nil) async throws -> R {
        let request = APIRequest(.patch, try itemPath(name, subresource: subresource), body: Data(try patch.body()), contentType: patch.contentType)
        return try await decode(R.self, client.send(request))
    }

    /// Deletes `name`. With `preconditions` the server answers 409 unless uid/resourceVersion
    /// still match; `gracePeriodSeconds: 0` deletes at once.
    /// - Throws: ``KubeClientError/isNotFound`` when already gone.
    public func delete(_ name: String, options: DeleteOptions? = nil) async throws {
        var request = APIRequest(.delete, try itemPath(name))
        if let options {
            request.body = try KubeJSON.encode(options)
            request.contentType = "application/json"
        }
        _ = try await client.send(request)
    }

    // MARK: Helpers

    func encoded(_ verb: HTTPVerb, _ path: String, _ body: some Encodable) throws -> APIRequest {
        do { return APIRequest(verb, path, body: try KubeJSON.encode(body), contentType: "application/json") } catch {
            throw KubeClientError.configuration("cannot encode \(R.kind): \(error)")
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: APIResponse) throws -> T {
        do { return try KubeJSON.decode(type, from: response.body) } catch {
            throw KubeClientError.decoding(type: "\(type)", snippet: String(decoding: response.body.prefix(256), as: UTF8.self), underlying: error)
        }
    }
}

extension ResourceClient where R == Pod {
    /// Assigns pod `name` to `node` (`POST pods/{name}/binding`; RBAC `create pods/binding`).
    /// - Throws: 409 ``KubeClientError/isConflict`` when the pod is already bound.
    public func bind(_ name: String, to node: String) async throws {
        let ns = namespace
        let binding = Binding(pod: ObjectKey(namespace: ns, name: name), node: node)
        _ = try await client.send(try encoded(.post, itemPath(name, subresource: "binding"), binding))
    }

    /// Evicts pod `name` (`POST pods/{name}/eviction`; RBAC `create pods/eviction`), honouring
    /// PodDisruptionBudgets. `dryRun: ["All"]` in `options` only checks.
    /// - Throws: ``KubeClientError/isTooManyRequests`` at once when a budget forbids it now (not
    ///   retried: the caller decides whether to wait), ``KubeClientError/isNotFound``.
    public func evict(_ name: String, options: DeleteOptions? = nil) async throws {
        let eviction = Eviction(pod: ObjectKey(namespace: namespace, name: name), deleteOptions: options)
        var once = client
        once.retry = .none
        _ = try await once.send(try encoded(.post, itemPath(name, subresource: "eviction"), eviction))
    }
}
