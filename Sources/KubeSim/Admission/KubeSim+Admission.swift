import Foundation
import KubeCore

/// A Service port that webhook configurations may name.
struct ServiceRoute: Hashable, Sendable {
    var namespace: String
    var name: String
    var port: Int
}

/// What one write looks like to admission: kube-apiserver's admission attributes.
struct AdmissionAttributes: Sendable {
    /// `CREATE`, `UPDATE` or `DELETE`.
    var operation: String
    var type: ResourceType
    var subresource: String?
    /// `nil` for cluster-scoped kinds.
    var namespace: String?
    var name: String
    var object: JSONValue?
    var oldObject: JSONValue?
    var isDryRun: Bool
    var options: JSONValue?
}

extension KubeSim {
    /// Makes webhook configurations that name `namespace/name:port` as a service reach `address`
    /// (`host:port`, e.g. `127.0.0.1:9443`), as cluster DNS and the Service's endpoints would.
    /// The webhook's certificate must still be valid for `<name>.<namespace>.svc`.
    public func routeService(namespace: String, name: String, port: Int = 443, to address: String) {
        state.withLock { $0.serviceRoutes[ServiceRoute(namespace: namespace, name: name, port: port)] = address }
    }

    // MARK: - Writes through admission

    /// ``create(_:namespace:_:dryRun:)`` as a request to the API: the object the create would
    /// store is first sent to every matching validating webhook (``ValidatingWebhookConfiguration``).
    /// - Throws: the create's errors; a webhook's denial (`admission webhook "<name>" denied the
    ///   request: …`); 500 when a webhook with `failurePolicy: Fail` cannot be called.
    public func admittedCreate(_ type: ResourceType, namespace: String?, _ body: JSONValue, dryRun: Bool = false) async throws(APIStatus) -> JSONValue {
        guard hasWebhooks else { return try create(type, namespace: namespace, body, dryRun: dryRun) }
        let proposed = try create(type, namespace: namespace, body, dryRun: true)
        let name = proposed.value(at: ["metadata", "name"])?.stringValue ?? ""
        try await admit(AdmissionAttributes(
            operation: "CREATE", type: type, namespace: type.isNamespaced ? proposed.value(at: ["metadata", "namespace"])?.stringValue : nil,
            name: name, object: proposed, isDryRun: dryRun, options: Self.options("CreateOptions", dryRun: dryRun)))
        if dryRun { return proposed }
        var fixed = body
        fixed[path: ["metadata", "name"]] = .string(name)  // a generated name stays the one the webhooks saw
        return try create(type, namespace: namespace, fixed, dryRun: false, uid: proposed.value(at: ["metadata", "uid"])?.stringValue)
    }

    /// ``update(_:namespace:name:_:subresource:dryRun:)`` through the validating webhooks (see
    /// ``admittedCreate(_:namespace:_:dryRun:)``). The webhooks see the object as it would be stored;
    /// should it change in between, they are asked again about the new result.
    public func admittedUpdate(_ type: ResourceType, namespace: String?, name: String, _ body: JSONValue, subresource: String? = nil, dryRun: Bool = false) async throws(APIStatus) -> JSONValue {
        try await admittedWrite(type, namespace: namespace, name: name, subresource: subresource, dryRun: dryRun) { version, isDryRun throws(APIStatus) in
            try self.update(type, namespace: namespace, name: name, body, subresource: subresource, dryRun: isDryRun, storedVersion: version)
        }
    }

    /// ``patch(_:namespace:name:_:patchType:subresource:dryRun:)`` through the validating webhooks
    /// (see ``admittedUpdate(_:namespace:name:_:subresource:dryRun:)``).
    public func admittedPatch(_ type: ResourceType, namespace: String?, name: String, _ patch: JSONValue, patchType: PatchType, subresource: String? = nil, dryRun: Bool = false) async throws(APIStatus) -> JSONValue {
        try await admittedWrite(type, namespace: namespace, name: name, subresource: subresource, dryRun: dryRun) { version, isDryRun throws(APIStatus) in
            try self.patch(type, namespace: namespace, name: name, patch, patchType: patchType, subresource: subresource, dryRun: isDryRun, storedVersion: version)
        }
    }

    /// ``delete(_:namespace:name:options:)`` through the validating webhooks: they see the stored
    /// object as `oldObject`.
    public func admittedDelete(_ type: ResourceType, namespace: String?, name: String, options: DeleteOptions = DeleteOptions()) async throws(APIStatus) -> JSONValue {
        guard hasWebhooks else { return try delete(type, namespace: namespace, name: name, options: options) }
        let isDryRun = options.dryRun?.contains("All") == true
        for attempt in 1...Self.admissionAttempts {
            let current = try get(type, namespace: namespace, name: name)
            var checked = options
            if checked.preconditions?.resourceVersion == nil {
                checked.preconditions = DeleteOptions.Preconditions(uid: options.preconditions?.uid, resourceVersion: current.value(at: ["metadata", "resourceVersion"])?.stringValue)
            }
            try await admit(AdmissionAttributes(
                operation: "DELETE", type: type, namespace: type.isNamespaced ? namespace : nil, name: name, oldObject: current,
                isDryRun: isDryRun, options: (try? KubeJSON.value(of: options)) ?? .object([:])))
            do { return try delete(type, namespace: namespace, name: name, options: checked) } catch where error.code == 409 && attempt < Self.admissionAttempts && options.preconditions?.resourceVersion == nil {
                continue  // changed while the webhooks were asked: ask again about the new one
            }
        }
        throw .conflict(type.plural, name, group: type.group)
    }

    static let admissionAttempts = 5

    /// Update and patch: a dry run shows the webhooks the result; the write then lands only on the
    /// version they saw (else, again from the top).
    func admittedWrite(_ type: ResourceType, namespace: String?, name: String, subresource: String?, dryRun: Bool,
                       _ write: (_ storedVersion: String?, _ dryRun: Bool) throws(APIStatus) -> JSONValue) async throws(APIStatus) -> JSONValue {
        guard hasWebhooks else { return try write(nil, dryRun) }
        for attempt in 1...Self.admissionAttempts {
            let current = try get(type, namespace: namespace, name: name)
            let version = current.value(at: ["metadata", "resourceVersion"])?.stringValue
            let proposed = try write(version, true)
            try await admit(AdmissionAttributes(
                operation: "UPDATE", type: type, subresource: subresource, namespace: type.isNamespaced ? namespace : nil, name: name,
                object: proposed, oldObject: current, isDryRun: dryRun, options: Self.options("UpdateOptions", dryRun: dryRun)))
            if dryRun { return proposed }
            do { return try write(version, false) } catch where error.code == 409 && attempt < Self.admissionAttempts {
                continue
            }
        }
        throw .conflict(type.plural, name, group: type.group)
    }

    static func options(_ kind: String, dryRun: Bool) -> JSONValue {
        var options: JSONObject = ["apiVersion": "meta.k8s.io/v1", "kind": .string(kind)]
        if dryRun { options["dryRun"] = ["All"] }
        return .object(options)
    }

    // MARK: - Calling the webhooks

    var hasWebhooks: Bool {
        state.withLock { !($0.objects[Self.webhookConfigurationID]?.isEmpty ?? true) }
    }

    static let webhookConfigurationID = ResourceID(group: ValidatingWebhookConfiguration.group, plural: ValidatingWebhookConfiguration.plural)

    /// Asks every matching webhook, in configuration-name order; the first refusal wins.
    /// - Throws: the denial, or 500 for a webhook with `failurePolicy: Fail` that gave no usable
    ///   answer, or 400 for a dry run sent to a webhook with side effects.
    func admit(_ attributes: AdmissionAttributes) async throws(APIStatus) {
        if attributes.type.group == ValidatingWebhookConfiguration.group { return }  // kube-apiserver never sends its own configurations
        let (configurations, namespaceLabels, routes) = state.withLock { s in
            let stored = (s.objects[Self.webhookConfigurationID] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
            var labels: [String: String]?
            if let ns = attributes.namespace {
                labels = Self.labels(s.objects[ResourceID(group: "", plural: "namespaces")]?[ObjectKey(name: ns)])
            } else if attributes.type.group.isEmpty && attributes.type.plural == "namespaces" {
                labels = Self.labels(attributes.object ?? attributes.oldObject)
            }
            return (stored, labels, s.serviceRoutes)
        }
        let caller = Caller.current
        for raw in configurations {
            guard let configuration = try? KubeJSON.typed(ValidatingWebhookConfiguration.self, from: raw) else { continue }  // checked when written
            for hook in configuration.webhooks ?? [] where WebhookMatching.matches(hook, attributes, namespaceLabels: namespaceLabels) {
                if attributes.isDryRun && !["None", "NoneOnDryRun"].contains(hook.sideEffects ?? "") {
                    throw .badRequest("admission webhook \"\(hook.name)\" does not support dry run")
                }
                let review = AdmissionReview(request: Self.request(attributes, caller: caller))
                let outcome: WebhookCall.Outcome
                if let endpoint = WebhookMatching.endpoint(of: hook, routes: routes) {
                    outcome = await WebhookCall.send(review, to: hook, at: endpoint, clock: clock)
                } else {
                    let service = hook.clientConfig.service.map { "\($0.namespace)/\($0.name):\($0.port ?? 443)" } ?? "?"
                    outcome = .failed("failed to call webhook: service \(service) has no endpoints in KubeSim (routeService)")
                }
                switch outcome {
                case .allowed: continue
                case .denied(let status): throw status
                case .failed(let reason):
                    if hook.failurePolicy == "Ignore" { continue }
                    var status = APIStatus.internalError("failed calling webhook \"\(hook.name)\": \(reason)")
                    status.details = APIStatus.Details(causes: [APIStatus.Cause(message: "failed calling webhook \"\(hook.name)\": \(reason)")])
                    throw status
                }
            }
        }
    }

    static func labels(_ object: JSONValue?) -> [String: String] {
        (object?.value(at: ["metadata", "labels"])?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    static func request(_ a: AdmissionAttributes, caller: Caller?) -> AdmissionReview.Request {
        var request = AdmissionReview.Request(
            uid: UUID().uuidString.lowercased(),
            kind: .init(group: a.type.group, version: a.type.version, kind: a.type.kind),
            resource: .init(group: a.type.group, version: a.type.version, resource: a.type.plural),
            name: a.name, namespace: a.namespace, operation: a.operation, object: a.object, oldObject: a.oldObject)
        request.subResource = a.subresource
        request.dryRun = a.isDryRun
        request.options = a.options
        let user = caller?.user
        request.userInfo = AdmissionReview.UserInfo(username: user ?? "system:anonymous",
                                                    groups: user == nil ? ["system:unauthenticated"] : ["system:authenticated"])
        return request
    }
}

/// Which writes a webhook is asked about, as kube-apiserver decides it.
enum WebhookMatching {
    /// Whether `hook` sees the write: a rule matches (operation, group, version, resource with
    /// subresource, scope), the namespace's labels match `namespaceSelector` (cluster-scoped
    /// objects other than namespaces always do), and the new or old object's labels match `objectSelector`.
    static func matches(_ hook: ValidatingWebhookConfiguration.Webhook, _ a: AdmissionAttributes, namespaceLabels: [String: String]?) -> Bool {
        guard (hook.rules ?? []).contains(where: { rule($0, matches: a) }) else { return false }
        if let namespaceLabels, let spec = hook.namespaceSelector, let selector = try? spec.selector(), !selector.matches(namespaceLabels) {
            return false
        }
        if let spec = hook.objectSelector, let selector = try? spec.selector(), !selector.isEmpty {
            let candidates = [a.object, a.oldObject].compactMap { $0 }
            if !candidates.contains(where: { selector.matches(KubeSim.labels($0)) }) { return false }
        }
        return true
    }

    static func rule(_ rule: ValidatingWebhookConfiguration.Rule, matches a: AdmissionAttributes) -> Bool {
        func member(_ list: [String]?, _ value: String) -> Bool { (list ?? []).contains { $0 == "*" || $0 == value } }
        guard member(rule.operations, a.operation), member(rule.apiGroups, a.type.group), member(rule.apiVersions, a.type.version) else { return false }
        switch rule.scope ?? "*" {
        case "Cluster": if a.type.isNamespaced { return false }
        case "Namespaced": if !a.type.isNamespaced { return false }
        default: break
        }
        return (rule.resources ?? []).contains { entry in
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            let resource = parts.first ?? ""
            let sub = parts.count > 1 ? parts[1] : ""
            return (resource == "*" || resource == a.type.plural) && (sub == "*" || sub == (a.subresource ?? ""))
        }
    }

    /// The URL to POST to; `nil` for a service reference KubeSim has no route for.
    static func endpoint(of hook: ValidatingWebhookConfiguration.Webhook, routes: [ServiceRoute: String]) -> WebhookCall.Endpoint? {
        if let url = hook.clientConfig.url { return WebhookCall.Endpoint(url: url) }
        guard let service = hook.clientConfig.service else { return nil }
        let port = service.port ?? 443
        guard let address = routes[ServiceRoute(namespace: service.namespace, name: service.name, port: port)] else { return nil }
        let host = "\(service.name).\(service.namespace).svc"
        guard let colon = address.lastIndex(of: ":"), let localPort = Int(address[address.index(after: colon)...]) else { return nil }
        let path = service.path ?? ""
        return WebhookCall.Endpoint(url: "https://\(host):\(localPort)\(path.isEmpty ? "/" : path)", dnsOverride: [host: String(address[..<colon])])
    }
}
