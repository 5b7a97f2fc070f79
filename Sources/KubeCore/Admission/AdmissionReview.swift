import Foundation

/// An `admission.k8s.io/v1` AdmissionReview: what kube-apiserver sends a webhook, and what the
/// webhook answers (the same kind, with `response` instead of `request`).
public struct AdmissionReview: Sendable, Hashable, Codable {
    public static let apiVersion = "admission.k8s.io/v1"
    public static let kind = "AdmissionReview"

    public var apiVersion: String
    public var kind: String
    public var request: Request?
    public var response: Response?

    public init(request: Request? = nil, response: Response? = nil) {
        apiVersion = Self.apiVersion
        kind = Self.kind
        self.request = request
        self.response = response
    }

    /// What is being admitted. `object` is the new object (CREATE, UPDATE), `oldObject` the stored
    /// one (UPDATE, DELETE); both as sent, so malformed fields can be reported by name.
    public struct Request: Sendable, Hashable, Codable {
        /// Copied into the response; kube-apiserver matches them.
        public var uid: String
        public var kind: GroupVersionKind
        public var resource: GroupVersionResource
        public var subResource: String?
        public var name: String?
        /// Empty for cluster-scoped objects; on CREATE the object's own `metadata.namespace` may be empty.
        public var namespace: String?
        /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
        public var operation: String
        public var userInfo: UserInfo?
        public var object: JSONValue?
        public var oldObject: JSONValue?
        public var dryRun: Bool?
        /// `CreateOptions`, `UpdateOptions` or `DeleteOptions` of the write, as a JSON object.
        public var options: JSONValue?

        public init(uid: String, kind: GroupVersionKind, resource: GroupVersionResource, name: String? = nil, namespace: String? = nil,
                    operation: String, object: JSONValue? = nil, oldObject: JSONValue? = nil) {
            self.uid = uid
            self.kind = kind
            self.resource = resource
            self.name = name
            self.namespace = namespace
            self.operation = operation
            self.object = object
            self.oldObject = oldObject
        }
    }

    /// The webhook's answer. A denial's `status.message` reaches the client as
    /// `admission webhook "<name>" denied the request: <message>`.
    public struct Response: Sendable, Hashable, Codable {
        public var uid: String
        public var allowed: Bool
        public var status: ResponseStatus?
        public var warnings: [String]?

        public init(uid: String, allowed: Bool, status: ResponseStatus? = nil) {
            self.uid = uid
            self.allowed = allowed
            self.status = status
        }

        public static func allow(_ uid: String) -> Self { Self(uid: uid, allowed: true) }

        /// A denial with HTTP-style `code` (403 Forbidden by default, as controller-runtime's `Denied`).
        public static func deny(_ uid: String, _ message: String, code: Int = 403, reason: String = "Forbidden") -> Self {
            Self(uid: uid, allowed: false, status: ResponseStatus(code: code, message: message, reason: reason))
        }
    }

    /// The `status` of a response (`meta/v1 Status`, the fields webhooks set).
    public struct ResponseStatus: Sendable, Hashable, Codable {
        public var code: Int?
        public var message: String?
        public var reason: String?

        public init(code: Int? = nil, message: String? = nil, reason: String? = nil) {
            self.code = code
            self.message = message
            self.reason = reason
        }
    }

    public struct GroupVersionKind: Sendable, Hashable, Codable {
        public var group: String
        public var version: String
        public var kind: String
        public init(group: String, version: String, kind: String) {
            self.group = group
            self.version = version
            self.kind = kind
        }
    }

    public struct GroupVersionResource: Sendable, Hashable, Codable {
        public var group: String
        public var version: String
        public var resource: String
        public init(group: String, version: String, resource: String) {
            self.group = group
            self.version = version
            self.resource = resource
        }
    }

    public struct UserInfo: Sendable, Hashable, Codable {
        public var username: String?
        public var uid: String?
        public var groups: [String]?

        public init(username: String? = nil, uid: String? = nil, groups: [String]? = nil) {
            self.username = username
            self.uid = uid
            self.groups = groups
        }
    }
}

/// Why a body is not an AdmissionReview a webhook can answer.
public enum AdmissionReviewError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not JSON, truncated, or not the AdmissionReview shape; carries the decoder's words.
    case malformed(String)
    /// Another `apiVersion` or `kind` than `admission.k8s.io/v1` `AdmissionReview`.
    case unsupported(apiVersion: String, kind: String)
    /// No `request`, or a request without `uid`.
    case missingRequest

    public var description: String {
        switch self {
        case .malformed(let m): "the body is not an AdmissionReview: \(m)"
        case .unsupported(let v, let k): "expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got apiVersion '\(v)' and kind '\(k)'"
        case .missingRequest: "the AdmissionReview has no request (or its request has no uid)"
        }
    }
}

extension AdmissionReview {
    /// Decodes a request body, refusing other versions and kinds.
    /// - Throws: ``AdmissionReviewError``; a webhook answers it with 400.
    public static func decodeRequest(_ body: Data) throws(AdmissionReviewError) -> Request {
        let tree: JSONValue
        do { tree = try JSONDecoder().decode(JSONValue.self, from: body) } catch {
            throw .malformed(Self.words(error))
        }
        guard tree.objectValue != nil else { throw .malformed("a JSON \(tree.kindName), not an object") }
        let apiVersion = tree["apiVersion"]?.stringValue ?? ""
        let kind = tree["kind"]?.stringValue ?? ""
        guard apiVersion == Self.apiVersion, kind == Self.kind else { throw .unsupported(apiVersion: apiVersion, kind: kind) }
        guard let request = tree["request"], request.objectValue != nil, !(request["uid"]?.stringValue ?? "").isEmpty else { throw .missingRequest }
        do { return try KubeJSON.typed(Request.self, from: request) } catch {
            throw .malformed(Self.words(error))
        }
    }

    static func words(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): c.debugDescription
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c), DecodingError.keyNotFound(_, let c):
            "request.\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        default: "\(error)"
        }
    }
}
