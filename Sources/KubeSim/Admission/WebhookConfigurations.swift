import Foundation
import KubeCore

/// What kube-apiserver does with a ValidatingWebhookConfiguration when it is written: checks it
/// (422 naming the field, in kube-apiserver's words) and stores it with the defaults filled in.
enum WebhookConfigurations {
    static let operations = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"]
    static let scopes = ["*", "Cluster", "Namespaced"]

    /// The object as stored: defaults filled (`failurePolicy: Fail`, `matchPolicy: Equivalent`,
    /// `timeoutSeconds: 10`, empty selectors, `scope: "*"`, service `port: 443`).
    /// - Throws: 422 `Invalid` listing every field kube-apiserver would refuse.
    static func admit(_ object: JSONValue, type: ResourceType) throws(APIStatus) -> JSONValue {
        guard type.group == ValidatingWebhookConfiguration.group, type.plural == ValidatingWebhookConfiguration.plural else { return object }
        var object = object
        var causes: [APIStatus.Cause] = []
        func required(_ field: String, _ detail: String) {
            causes.append(APIStatus.Cause(reason: "FieldValueRequired", message: "Required value: \(detail)", field: field))
        }
        func unsupported(_ field: String, _ value: String, _ supported: [String]) {
            let list = supported.map { "\"\($0)\"" }.joined(separator: ", ")
            causes.append(APIStatus.Cause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(value)\": supported values: \(list)", field: field))
        }
        let webhooks = object["webhooks"]?.arrayValue ?? []
        if let value = object["webhooks"], !value.isNull, value.arrayValue == nil {
            causes.append(StructuralSchema.invalid("webhooks", value, "must be a list of webhooks"))
        }
        var names: Set<String> = []
        var defaulted: [JSONValue] = []
        for (i, hook) in webhooks.enumerated() {
            let at = "webhooks[\(i)]"
            guard var hook = hook.objectValue else {
                causes.append(StructuralSchema.invalid(at, hook, "must be an object"))
                continue
            }
            let name = hook["name"]?.stringValue ?? ""
            if name.isEmpty {
                required("\(at).name", "")
            } else if name.split(separator: ".", omittingEmptySubsequences: false).count < 3 || !LabelSyntax.isDNSSubdomain(name) {
                causes.append(StructuralSchema.invalid("\(at).name", .string(name), "should be a domain with at least three segments separated by dots"))
            } else if !names.insert(name).inserted {
                causes.append(APIStatus.Cause(reason: "FieldValueDuplicate", message: "Duplicate value: \"\(name)\"", field: "\(at).name"))
            }
            checkClientConfig(&hook, at: "\(at).clientConfig", causes: &causes)
            let versions = (hook["admissionReviewVersions"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !versions.contains("v1") && !versions.contains("v1beta1") {
                required("\(at).admissionReviewVersions", "must specify one of v1, v1beta1")
            }
            switch hook["sideEffects"]?.stringValue {
            case nil: required("\(at).sideEffects", "must specify one of None, NoneOnDryRun")
            case "None", "NoneOnDryRun": break
            case let other?: unsupported("\(at).sideEffects", other, ["None", "NoneOnDryRun"])
            }
            let policy = hook["failurePolicy"]?.stringValue ?? "Fail"
            if !["Fail", "Ignore"].contains(policy) { unsupported("\(at).failurePolicy", policy, ["Fail", "Ignore"]) }
            hook["failurePolicy"] = .string(policy)
            let matchPolicy = hook["matchPolicy"]?.stringValue ?? "Equivalent"
            if !["Equivalent", "Exact"].contains(matchPolicy) { unsupported("\(at).matchPolicy", matchPolicy, ["Equivalent", "Exact"]) }
            hook["matchPolicy"] = .string(matchPolicy)
            let timeout = hook["timeoutSeconds"] ?? .int(10)
            if let seconds = timeout.intValue, (1...30).contains(seconds) {
                hook["timeoutSeconds"] = timeout
            } else {
                causes.append(StructuralSchema.invalid("\(at).timeoutSeconds", timeout, "the timeout value must be between 1 and 30 seconds"))
            }
            for selector in ["namespaceSelector", "objectSelector"] {
                let value = hook[selector] ?? .object([:])
                do { _ = try KubeJSON.typed(LabelSelectorSpec.self, from: value).selector() } catch {
                    causes.append(StructuralSchema.invalid("\(at).\(selector)", value, "\(error)"))
                }
                hook[selector] = value
            }
            var rules: [JSONValue] = []
            for (j, rule) in (hook["rules"]?.arrayValue ?? []).enumerated() {
                let ruleAt = "\(at).rules[\(j)]"
                guard var rule = rule.objectValue else {
                    causes.append(StructuralSchema.invalid(ruleAt, rule, "must be an object"))
                    continue
                }
                for list in ["operations", "apiGroups", "apiVersions", "resources"] {
                    let values = rule[list]?.arrayValue ?? []
                    if values.isEmpty || values.contains(where: { $0.stringValue == nil }) { required("\(ruleAt).\(list)", "") }
                }
                for op in (rule["operations"]?.arrayValue ?? []).compactMap(\.stringValue) where !operations.contains(op) {
                    unsupported("\(ruleAt).operations", op, operations)
                }
                let scope = rule["scope"]?.stringValue ?? "*"
                if !scopes.contains(scope) { unsupported("\(ruleAt).scope", scope, scopes) }
                rule["scope"] = .string(scope)
                rules.append(.object(rule))
            }
            if hook["rules"] != nil { hook["rules"] = .array(rules) }
            defaulted.append(.object(hook))
        }
        if !causes.isEmpty {
            let name = object.value(at: ["metadata", "name"])?.stringValue ?? ""
            throw .invalid(kind: type.kind, name: name, causes: causes, group: type.group)
        }
        if object["webhooks"] != nil { object["webhooks"] = .array(defaulted) }
        return object
    }

    static func checkClientConfig(_ hook: inout JSONObject, at: String, causes: inout [APIStatus.Cause]) {
        guard var config = hook["clientConfig"]?.objectValue else {
            causes.append(APIStatus.Cause(reason: "FieldValueRequired", message: "Required value: exactly one of url or service is required", field: at))
            return
        }
        let url = config["url"]?.stringValue
        let service = config["service"]?.objectValue
        switch (url, service) {
        case (let url?, nil):
            if let parsed = URL(string: url), parsed.scheme == "https", parsed.host != nil {
                if parsed.query != nil || parsed.fragment != nil {
                    causes.append(StructuralSchema.invalid("\(at).url", .string(url), "query parameters and fragments are not allowed"))
                }
            } else {
                causes.append(StructuralSchema.invalid("\(at).url", .string(url), "'https' is the only allowed URL scheme, with a host"))
            }
        case (nil, var service?):
            for field in ["namespace", "name"] where (service[field]?.stringValue ?? "").isEmpty {
                causes.append(APIStatus.Cause(reason: "FieldValueRequired", message: "Required value: service \(field) is required", field: "\(at).service.\(field)"))
            }
            let port = service["port"] ?? .int(443)
            if let p = port.intValue, (1...65535).contains(p) { service["port"] = port } else {
                causes.append(StructuralSchema.invalid("\(at).service.port", port, "port is not valid: must be between 1 and 65535, inclusive"))
            }
            if let path = service["path"]?.stringValue, !path.hasPrefix("/") {
                causes.append(StructuralSchema.invalid("\(at).service.path", .string(path), "must start with a '/'"))
            }
            config["service"] = .object(service)
        default:
            causes.append(APIStatus.Cause(reason: "FieldValueRequired", message: "Required value: exactly one of url or service is required", field: at))
        }
        if let bundle = config["caBundle"] {
            if WebhookCall.trustRoots(caBundle: bundle.stringValue ?? "") == nil {
                causes.append(APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: must be base64 of PEM certificates", field: "\(at).caBundle"))
            }
        }
        hook["clientConfig"] = .object(config)
    }
}
