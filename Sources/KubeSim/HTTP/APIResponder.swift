import Foundation
import HTTPTypes
import Hummingbird
import KubeCore
import NIOCore
import NIOSSL

/// Turns HTTP requests into ``KubeSim`` operations and their results into kube-apiserver's
/// responses: JSON bodies, `Status` bodies on failure, chunked JSON lines for watches, and
/// `meta.k8s.io/v1` Tables when the client asks for them (`kubectl get`).
struct APIResponder: Sendable {
    let sim: KubeSim
    var authentication: KubeSimAuthentication? = nil
    /// Whether connections are TLS, so a client certificate may name the caller.
    var readsPeerCertificate = false
    /// Serving ``KubeSimTransport`` (no connection): a watch ends when its writing task is cancelled.
    var isInProcess = false
    /// Largest request body accepted (kube-apiserver's limit is 3 MiB).
    static let maxBodyBytes = 3 * 1024 * 1024

    /// Identifies the caller, refuses unauthenticated (401) and cut-off (503) ones, and serves
    /// the rest with ``Caller/current`` set, so faults and counters can tell clients apart.
    func respond(to request: Request, channel: (any Channel)? = nil) async -> Response {
        do {
            let caller = try await identify(request, channel: channel)
            if sim.isCutOff(caller) {
                throw APIStatus(code: 503, reason: "ServiceUnavailable", message: "the server is unreachable for this client (cut off by the test)")
            }
            return try await Caller.$current.withValue(caller) { try await route(request) }
        } catch let status as APIStatus {
            return Self.json(status.code ?? 500, Self.statusValue(status))
        } catch {
            return Self.json(500, Self.statusValue(.internalError("\(error)")))
        }
    }

    /// The caller: client certificate `CN` (verified by the TLS handshake), else the bearer
    /// token's user. - Throws: 401 when ``authentication`` is set and the request is not authenticated.
    func identify(_ request: Request, channel: (any Channel)?) async throws -> Caller {
        var caller = Caller(userAgent: request.headers[.userAgent])
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            caller.bearerToken = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        if readsPeerCertificate, let channel, let certificate = try? await channel.nioSSL_peerCertificate().get(),
            let der = try? certificate.toDERBytes()
        {
            caller.user = KubeSimTLS.commonName(derEncoded: der)
        }
        guard let authentication else { return caller }
        if let token = caller.bearerToken {
            guard let user = authentication.tokens[token] else { throw APIStatus.unauthorized }
            if caller.user == nil { caller.user = user }
        } else if caller.user == nil {
            guard authentication.allowsAnonymous else { throw APIStatus.unauthorized }
            caller.user = "system:anonymous"
        }
        return caller
    }

    func route(_ request: Request) async throws -> Response {
        let query = Query(request.uri.query ?? "")
        guard let path = APIPath(request.uri.path) else {
            throw APIStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        switch path {
        case .version: return Self.json(200, Discovery.version)
        case .coreVersions: return Self.json(200, Discovery.coreVersions(host: request.head.authority ?? "127.0.0.1"))
        case .groups: return Self.json(200, Discovery.groupList(sim.resourceTypes))
        case .group(let name):
            guard let group = Discovery.group(name, sim.resourceTypes) else { throw APIStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource") }
            return Self.json(200, group)
        case .resources(let group, let version):
            guard let list = Discovery.resourceList(group: group, version: version, sim.resourceTypes) else {
                throw APIStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
            }
            return Self.json(200, list)
        case .openAPI:
            throw APIStatus(code: 404, reason: "NotFound", message: "the server does not serve OpenAPI documents")
        case .object(let group, let version, let plural, let namespace, let name, let subresource, let legacyWatch):
            if group.isEmpty, plural == "bindings", name == nil, let namespace, request.method == .post {
                // The legacy form of pods/binding: the body names the pod.
                let body = try await body(request)
                try sim.bind(namespace: namespace, name: body.value(at: ["metadata", "name"])?.stringValue ?? "", body)
                return Self.json(201, ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "code": 201])
            }
            guard let type = sim.resourceType(group: group, plural: plural), type.version == version else {
                throw APIStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource (\(plural)\(group.isEmpty ? "" : "." + group))")
            }
            if namespace != nil && !type.isNamespaced {
                throw APIStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource: \(plural) is not namespaced")
            }
            return try await object(request, type: type, namespace: namespace, name: name, subresource: subresource, query: query, legacyWatch: legacyWatch)
        }
    }

    func object(_ request: Request, type: ResourceType, namespace: String?, name: String?, subresource: String?, query: Query, legacyWatch: Bool) async throws -> Response {
        let table = TableRequest(accept: request.headers[.accept], includeObject: query["includeObject"])
        guard let name else {
            switch request.method {
            case .get:
                let options = try listOptions(query)
                if legacyWatch || query.flag("watch") {
                    return try watch(type, namespace: namespace, options: options, table: table, request: request)
                }
                let page = try sim.list(type, namespace: namespace, options: options)
                if let table { return Self.json(200, Table.list(page, type: type, now: sim.clock.now, request: table)) }
                var meta: JSONObject = ["resourceVersion": .string(page.resourceVersion)]
                if let token = page.continueToken { meta["continue"] = .string(token) }
                if let remaining = page.remainingItemCount { meta["remainingItemCount"] = .int(Int64(remaining)) }
                return Self.json(200, ["apiVersion": .string(type.apiVersion), "kind": .string(type.kind + "List"), "metadata": .object(meta), "items": .array(page.items)])
            case .post:
                let created = try await sim.admittedCreate(type, namespace: namespace, try await body(request), dryRun: query["dryRun"] == "All")
                return Self.json(201, created)
            case .delete:
                let options = try listOptions(query)
                let deleteOptions = try await deleteOptions(request, query)
                var deleted: [JSONValue] = []
                for item in try sim.list(type, namespace: namespace, options: options).items {
                    guard let itemName = item.value(at: ["metadata", "name"])?.stringValue else { continue }
                    if let d = try? await sim.admittedDelete(type, namespace: item.value(at: ["metadata", "namespace"])?.stringValue, name: itemName, options: deleteOptions) {
                        deleted.append(d)
                    }
                }
                return Self.json(200, ["apiVersion": .string(type.apiVersion), "kind": .string(type.kind + "List"), "metadata": [:], "items": .array(deleted)])
            default:
                throw APIStatus.methodNotAllowed("the server does not allow this method on the requested resource")
            }
        }
        switch (request.method, subresource) {
        case (.get, nil), (.get, "status"):
            if subresource == "status" && !type.hasStatusSubresource { throw notFoundSubresource(type, subresource) }
            let object = try sim.get(type, namespace: namespace, name: name)
            if let table { return Self.json(200, Table.single(object, type: type, now: sim.clock.now, request: table)) }
            return Self.json(200, object)
        case (.put, nil), (.put, "status"):
            if subresource == "status" && !type.hasStatusSubresource { throw notFoundSubresource(type, subresource) }
            return Self.json(200, try await sim.admittedUpdate(type, namespace: namespace, name: name, try await body(request), subresource: subresource, dryRun: query["dryRun"] == "All"))
        case (.patch, nil), (.patch, "status"):
            if subresource == "status" && !type.hasStatusSubresource { throw notFoundSubresource(type, subresource) }
            let contentType = (request.headers[.contentType] ?? "").split(separator: ";").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
            guard let patchType = PatchType(rawValue: contentType) else {
                throw APIStatus.unsupportedMediaType("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json")
            }
            return Self.json(200, try await sim.admittedPatch(type, namespace: namespace, name: name, try await body(request), patchType: patchType, subresource: subresource, dryRun: query["dryRun"] == "All"))
        case (.delete, nil):
            let result = try await sim.admittedDelete(type, namespace: namespace, name: name, options: try await deleteOptions(request, query))
            let stillThere = sim.contains(type, namespace: namespace, name: name)
            return Self.json(stillThere ? 202 : 200, result)
        case (.post, "binding") where type.group.isEmpty && type.plural == "pods":
            try sim.bind(namespace: namespace ?? "default", name: name, try await body(request))
            return Self.json(201, ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "code": 201])
        case (.post, "eviction") where type.group.isEmpty && type.plural == "pods":
            return Self.json(201, try sim.evict(namespace: namespace ?? "default", name: name, try await body(request)))
        case (_, nil), (_, "status"):
            throw APIStatus.methodNotAllowed("the server does not allow this method on the requested resource")
        default:
            throw notFoundSubresource(type, subresource)
        }
    }

    func notFoundSubresource(_ type: ResourceType, _ subresource: String?) -> APIStatus {
        APIStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource (\(type.plural)/\(subresource ?? ""))")
    }

    func watch(_ type: ResourceType, namespace: String?, options: ListOptions, table: TableRequest?, request: Request) throws -> Response {
        let channel = try sim.watch(type, namespace: namespace, options: options)
        let sim = self.sim
        let timeout = Duration.seconds(options.timeoutSeconds ?? 1800)
        let isInProcess = self.isInProcess
        let body = ResponseBody { writer in
            func pump(_ writer: inout any ResponseBodyWriter) async {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try? await sim.clock.sleep(for: timeout)
                        sim.release(channel)
                    }
                    if channel.allowBookmarks {
                        group.addTask {
                            while (try? await sim.clock.sleep(for: .seconds(60))) != nil { sim.sendBookmarks() }
                        }
                    }
                    while let delivery = await channel.next() {
                        var line = delivery.line
                        if let table, case .event = delivery { line.object = Table.single(line.object, type: type, now: sim.clock.now, request: table) }
                        var bytes: [UInt8] = []
                        JSONValue.object(["type": .string(line.type), "object": line.object]).write(into: &bytes)
                        bytes.append(10)
                        do { try await writer.write(ByteBuffer(bytes: bytes)) } catch { break }
                    }
                    sim.release(channel)
                    group.cancelAll()
                }
            }
            if isInProcess {
                // In process, a client that goes away cancels the task writing its watch.
                await withTaskCancellationHandler { await pump(&writer) } onCancel: { sim.release(channel) }
            } else {
                // A client that goes away ends its watch at once, even when no event is due.
                try await request.body.consumeWithInboundCloseHandler { _ in
                    await pump(&writer)
                } onInboundClosed: {
                    sim.release(channel)
                }
            }
            try await writer.finish(nil)
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-cache, private"
        // The server closes a watch's connection when the watch ends (that is how it notices
        // clients that went away); saying so up front keeps clients from reusing it.
        headers[.connection] = "close"
        return Response(status: .ok, headers: headers, body: body)
    }

    func body(_ request: Request) async throws -> JSONValue {
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: Self.maxBodyBytes) } catch {
            throw APIStatus(code: 413, reason: "RequestEntityTooLarge", message: "the request body is larger than \(Self.maxBodyBytes) bytes")
        }
        if buffer.readableBytes == 0 { throw APIStatus.badRequest("the request has no body") }
        do { return try JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView)) } catch {
            throw APIStatus.badRequest("the body of the request is not valid JSON: \(Self.decodingMessage(error))")
        }
    }

    func listOptions(_ query: Query) throws -> ListOptions {
        var options = ListOptions()
        do {
            if let s = query["labelSelector"] { options.labelSelector = try LabelSelector(parsing: s) }
            if let s = query["fieldSelector"] { options.fieldSelector = try FieldSelector(parsing: s) }
        } catch { throw APIStatus.badRequest("\(error)") }
        if let s = query["limit"] {
            guard let n = Int(s), n >= 0 else { throw APIStatus.badRequest("limit: Invalid value: \"\(s)\": must be a non-negative integer") }
            options.limit = n
        }
        options.continueToken = query["continue"]
        options.resourceVersion = query["resourceVersion"]
        options.allowWatchBookmarks = query.flag("allowWatchBookmarks")
        if let s = query["timeoutSeconds"] {
            guard let n = Int(s), n >= 0 else { throw APIStatus.badRequest("timeoutSeconds: Invalid value: \"\(s)\": must be a non-negative integer") }
            options.timeoutSeconds = n
        }
        return options
    }

    func deleteOptions(_ request: Request, _ query: Query) async throws -> DeleteOptions {
        var options = DeleteOptions()
        var request = request
        if let buffer = try? await request.collectBody(upTo: Self.maxBodyBytes), buffer.readableBytes > 0 {
            do { options = try KubeJSON.decode(DeleteOptions.self, from: Data(buffer.readableBytesView)) } catch {
                throw APIStatus.badRequest("the body of the request is not valid DeleteOptions: \(Self.decodingMessage(error))")
            }
        }
        if let s = query["gracePeriodSeconds"] {
            guard let n = Int64(s) else { throw APIStatus.badRequest("gracePeriodSeconds: Invalid value: \"\(s)\": must be an integer") }
            options.gracePeriodSeconds = n
        }
        if let s = query["propagationPolicy"] { options.propagationPolicy = s }
        if query["dryRun"] == "All" { options.dryRun = ["All"] }
        return options
    }

    static func json(_ code: Int, _ value: JSONValue) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: HTTPResponse.Status(code: code), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }

    static func statusValue(_ status: APIStatus) -> JSONValue { (try? KubeJSON.value(of: status)) ?? .null }

    static func decodingMessage(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): c.debugDescription + ((c.underlyingError).map { " (\($0))" } ?? "")
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c), DecodingError.keyNotFound(_, let c):
            "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        default: "\(error)"
        }
    }
}

extension APIStatus {
    /// kube-apiserver's answer to a request without valid credentials.
    static let unauthorized = APIStatus(code: 401, reason: "Unauthorized", message: "Unauthorized")
}

/// Query parameters, decoded as `application/x-www-form-urlencoded` (`+` is a space).
struct Query {
    private var values: [String: String] = [:]

    init(_ query: String) {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            values[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
    }

    subscript(_ key: String) -> String? { values[key] }

    /// `true`, `True`, `1` (clients differ) count as set.
    func flag(_ key: String) -> Bool { values[key].map { ["true", "1"].contains($0.lowercased()) } ?? false }
}
