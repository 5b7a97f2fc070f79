import KubeCore

/// The rules a quota object must follow, for the validating webhook (docs/design.md section 6).
///
/// ``validate(_:kind:)`` checks one object alone (what the CRD's schema and CEL rules also
/// check); ``validateClaims(of:among:)`` checks it against the other quotas (one ElasticQuota per
/// namespace; a namespace in at most one quota of either kind). Every violation names its field.
public enum QuotaValidation {
    /// Checks one ElasticQuota or CompositeElasticQuota as sent (JSON), so that malformed
    /// quantities are reported by field rather than failing to decode.
    ///
    /// Rules: `spec` is an object; `spec.min` and `spec.max` map valid resource names
    /// (``resourceNameProblem(_:)``) to non-negative quantities; `max >= min` for every resource
    /// both name; a composite's `spec.namespaces` lists at least one namespace, each a valid
    /// namespace name, none twice.
    public static func validate(_ object: JSONValue, kind: QuotaID.Kind) -> [QuotaViolation] {
        guard object.objectValue != nil else { return [.type("<root>", object.kindName, expected: "object")] }
        guard let specValue = object["spec"], !specValue.isNull else { return [.required("spec", "spec is required")] }
        guard specValue.objectValue != nil else { return [.type("spec", specValue.kindName, expected: "object")] }
        var problems: [QuotaViolation] = []
        let min = quantities(specValue["min"], field: "spec.min", problems: &problems)
        let max = quantities(specValue["max"], field: "spec.max", problems: &problems)
        for (resource, cap) in max.sorted(by: { $0.key < $1.key }) {
            guard let floor = min[resource], cap < floor else { continue }
            problems.append(.invalid("spec.max[\(resource)]", cap.description, "must be greater than or equal to spec.min[\(resource)] (\(floor))"))
        }
        if kind == .composite { problems += namespaceProblems(specValue["namespaces"]) }
        return problems
    }

    /// Checks that `candidate` claims no namespace another quota holds: an ElasticQuota's
    /// namespace must have no other ElasticQuota and be listed by no CompositeElasticQuota; a
    /// composite's namespaces must have no ElasticQuota and be listed by no other composite.
    /// `existing` may contain `candidate` itself (an update): it is skipped.
    public static func validateClaims(of candidate: Quota, among existing: [Quota]) -> [QuotaViolation] {
        var problems: [QuotaViolation] = []
        let others = existing.filter { $0.id != candidate.id }.sorted { $0.id < $1.id }
        for (index, namespace) in candidate.namespaces.enumerated() {
            let field = candidate.id.kind == .elastic ? "metadata.namespace" : "spec.namespaces[\(index)]"
            guard let holder = others.first(where: { $0.namespaces.contains(namespace) }) else { continue }
            let detail = holder.id.kind == .elastic && candidate.id.kind == .elastic
                ? "namespace \"\(namespace)\" already has \(holder.id); a namespace has at most one ElasticQuota"
                : "namespace \"\(namespace)\" already belongs to \(holder.id); a namespace belongs to at most one quota of either kind"
            problems.append(.forbidden(field, detail))
        }
        return problems
    }

    /// Why `name` is not a resource a quota can name, or `nil` when it can.
    ///
    /// Accepted: `cpu`, `memory`, `ephemeral-storage`, `hugepages-<size>`; extended resources
    /// `<domain>/<name>` (a DNS subdomain, a name of at most 63 characters) outside
    /// `kubernetes.io`; in n8s's own domain only `n8s.nebuly.ai/gpu-memory`; `nvidia.com/mig-<profile>`
    /// only with a profile name (`1g.10gb`, `1g.10gb.me`). `requests.`/`limits.` prefixes (as in
    /// ResourceQuota) are refused: a quota counts requests, by plain resource name.
    public static func resourceNameProblem(_ name: String) -> String? {
        if name.hasPrefix("requests.") || name.hasPrefix("limits.") {
            return "a quota counts requests: name the resource without the '\(name.hasPrefix("requests.") ? "requests." : "limits.")' prefix"
        }
        guard let slash = name.firstIndex(of: "/") else {
            if ["cpu", "memory", "ephemeral-storage"].contains(name) { return nil }
            if name.hasPrefix("hugepages-"), Quantity(String(name.dropFirst("hugepages-".count))) != nil { return nil }
            return "unknown resource name: standard resources are cpu, memory, ephemeral-storage and hugepages-<size>; extended resources have a domain prefix (nvidia.com/gpu, n8s.nebuly.ai/gpu-memory)"
        }
        let domain = String(name[..<slash])
        let local = String(name[name.index(after: slash)...])
        guard LabelSyntax.isDNSSubdomain(domain) else { return "prefix part must be a DNS subdomain (lower-case letters, digits, '-' and '.')" }
        guard LabelSyntax.isQualifiedNamePart(local) else {
            return "name part must consist of alphanumeric characters, '-', '_' or '.', start and end with an alphanumeric character, and be at most 63 characters"
        }
        if domain == "kubernetes.io" || domain.hasSuffix(".kubernetes.io") { return "the kubernetes.io domain is reserved for Kubernetes' own resources" }
        if domain == QuotaNames.group, name != QuotaNames.gpuMemory { return "unknown n8s resource: the only one is \(QuotaNames.gpuMemory)" }
        if let profile = MIGProfile.resourceFormProfile(ofResource: name), ProfileGrammar.parse(profile[...], allowPlus: false) == nil {
            return "not a MIG profile: MIG resources are nvidia.com/mig-<g>g.<gb>gb, e.g. nvidia.com/mig-1g.10gb"
        }
        return nil
    }

    /// Reads a `min` or `max` map; reports every bad entry and returns the good ones.
    static func quantities(_ value: JSONValue?, field: String, problems: inout [QuotaViolation]) -> [String: Quantity] {
        guard let value, !value.isNull else { return [:] }
        guard let members = value.objectValue else {
            problems.append(.type(field, value.kindName, expected: "object"))
            return [:]
        }
        var result: [String: Quantity] = [:]
        for (resource, amount) in members.sorted(by: { $0.key < $1.key }) {
            let entry = "\(field)[\(resource)]"
            if let problem = resourceNameProblem(resource) {
                problems.append(.invalid(entry, resource, problem))
                continue
            }
            let text: String
            switch amount {
            case .string(let s): text = s
            case .int(let i): text = String(i)
            case .double(let d): text = "\(d)"
            default:
                problems.append(.type(entry, amount.kindName, expected: "string or integer"))
                continue
            }
            let quantity: Quantity
            do { quantity = try Quantity(parsing: text) } catch {
                problems.append(.invalid(entry, text, error.description))
                continue
            }
            guard !quantity.isNegative else {
                problems.append(.invalid(entry, text, "must be greater than or equal to 0"))
                continue
            }
            result[resource] = quantity
        }
        return result
    }

    static func namespaceProblems(_ value: JSONValue?) -> [QuotaViolation] {
        guard let value, !value.isNull else { return [.required("spec.namespaces", "must list at least one namespace")] }
        guard let items = value.arrayValue else { return [.type("spec.namespaces", value.kindName, expected: "array")] }
        guard !items.isEmpty else { return [.required("spec.namespaces", "must list at least one namespace")] }
        var problems: [QuotaViolation] = []
        var seen = Set<String>()
        for (index, item) in items.enumerated() {
            let field = "spec.namespaces[\(index)]"
            guard let namespace = item.stringValue else {
                problems.append(.type(field, item.kindName, expected: "string"))
                continue
            }
            if !LabelSyntax.isDNSLabel(namespace) {
                problems.append(.invalid(field, namespace, "a namespace name must consist of lower case alphanumeric characters or '-', start and end with an alphanumeric character, and be at most 63 characters"))
            } else if !seen.insert(namespace).inserted {
                problems.append(.duplicate(field, namespace))
            }
        }
        return problems
    }
}
