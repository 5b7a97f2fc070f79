/// A request path of the Kubernetes REST API, parsed.
///
/// `/api/v1/namespaces/{ns}/pods/{name}/status`, `/apis/{group}/{version}/{plural}`, the
/// discovery paths, and the legacy `/api/v1/watch/...` prefix.
enum APIPath: Equatable {
    case version
    case coreVersions  // /api
    case groups  // /apis
    case group(String)  // /apis/{group}
    case resources(group: String, version: String)  // /api/v1, /apis/{group}/{version}
    case openAPI
    /// A collection or object of a kind; `name` nil for a collection.
    case object(group: String, version: String, plural: String, namespace: String?, name: String?, subresource: String?, legacyWatch: Bool)

    init?(_ path: String) {
        var segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if segments == ["version"] { self = .version; return }
        if segments.first == "openapi" { self = .openAPI; return }
        let group: String
        let version: String
        switch segments.first {
        case "api":
            if segments.count == 1 { self = .coreVersions; return }
            group = ""
            version = segments[1]
            segments.removeFirst(2)
        case "apis":
            if segments.count == 1 { self = .groups; return }
            if segments.count == 2 { self = .group(segments[1]); return }
            group = segments[1]
            version = segments[2]
            segments.removeFirst(3)
        default:
            return nil
        }
        if segments.isEmpty { self = .resources(group: group, version: version); return }
        var legacyWatch = false
        if segments.first == "watch" {
            legacyWatch = true
            segments.removeFirst()
        }
        var namespace: String?
        // /namespaces/{ns}/{plural}/... is namespaced; /namespaces/{name}[/status] is the Namespace itself.
        if segments.first == "namespaces", segments.count >= 3, !["status", "finalize"].contains(segments[2]) || segments.count > 3 {
            namespace = segments[1]
            segments.removeFirst(2)
        }
        guard !segments.isEmpty, segments.count <= 3 else { return nil }
        self = .object(group: group, version: version, plural: segments[0], namespace: namespace,
                       name: segments.count > 1 ? segments[1] : nil, subresource: segments.count > 2 ? segments[2] : nil,
                       legacyWatch: legacyWatch)
    }
}
