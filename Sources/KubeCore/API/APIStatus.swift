/// The server's failure body (meta/v1 `Status`, wire kind `Status`).
///
/// Named `APIStatus` so it never clashes with a type's nested `Status`.
public struct APIStatus: Sendable, Hashable, Codable, Error, CustomStringConvertible {
    public var apiVersion: String = "v1"
    public var kind: String = "Status"
    public var metadata: ListMeta? = ListMeta()
    /// `Success` or `Failure`.
    public var status: String?
    public var message: String?
    /// Machine-readable cause: `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Expired`,
    /// `BadRequest`, `MethodNotAllowed`, `TooManyRequests`, `InternalError`, ...
    public var reason: String?
    public var details: Details?
    /// The HTTP status code.
    public var code: Int?

    public init(code: Int, reason: String, message: String, details: Details? = nil) {
        self.status = "Failure"
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    public struct Details: Sendable, Hashable, Codable {
        public var name: String?
        public var group: String?
        public var kind: String?
        public var uid: String?
        public var causes: [Cause]?
        public var retryAfterSeconds: Int32?

        public init(name: String? = nil, group: String? = nil, kind: String? = nil, causes: [Cause]? = nil, retryAfterSeconds: Int32? = nil) {
            self.name = name
            self.group = group
            self.kind = kind
            self.causes = causes
            self.retryAfterSeconds = retryAfterSeconds
        }
    }

    /// One reason a request was invalid; `field` is a JSON path such as `metadata.name`.
    public struct Cause: Sendable, Hashable, Codable {
        public var reason: String?
        public var message: String?
        public var field: String?
        public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }

    public var description: String { "\(code ?? 0) \(reason ?? ""): \(message ?? "")" }
}

extension APIStatus {
    public static func notFound(_ resource: String, _ name: String, group: String = "") -> APIStatus {
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        return APIStatus(code: 404, reason: "NotFound", message: "\(qualified) \"\(name)\" not found", details: Details(name: name, group: group, kind: resource))
    }

    public static func alreadyExists(_ resource: String, _ name: String, group: String = "") -> APIStatus {
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        return APIStatus(code: 409, reason: "AlreadyExists", message: "\(qualified) \"\(name)\" already exists", details: Details(name: name, group: group, kind: resource))
    }

    /// The message kube-apiserver sends on a stale `resourceVersion`.
    public static func conflict(_ resource: String, _ name: String, group: String = "", reason text: String = "the object has been modified; please apply your changes to the latest version and try again") -> APIStatus {
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        return APIStatus(code: 409, reason: "Conflict", message: "Operation cannot be fulfilled on \(qualified) \"\(name)\": \(text)", details: Details(name: name, group: group, kind: resource))
    }

    public static func invalid(kind: String, name: String, causes: [Cause], group: String = "") -> APIStatus {
        let summary = causes.map { "\($0.field ?? ""): \($0.message ?? "")" }.joined(separator: ", ")
        return APIStatus(code: 422, reason: "Invalid", message: "\(kind) \"\(name)\" is invalid: \(summary)", details: Details(name: name, group: group, kind: kind, causes: causes))
    }

    public static func badRequest(_ message: String) -> APIStatus { APIStatus(code: 400, reason: "BadRequest", message: message) }

    public static func gone(_ message: String) -> APIStatus { APIStatus(code: 410, reason: "Expired", message: message) }

    public static func methodNotAllowed(_ message: String) -> APIStatus { APIStatus(code: 405, reason: "MethodNotAllowed", message: message) }

    public static func unsupportedMediaType(_ message: String) -> APIStatus { APIStatus(code: 415, reason: "UnsupportedMediaType", message: message) }

    public static func internalError(_ message: String) -> APIStatus { APIStatus(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)") }
}
