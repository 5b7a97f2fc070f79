/// One reason a quota object is not acceptable, naming the field as kube-apiserver does
/// (`spec.max[nvidia.com/gpu]: Invalid value: "-1": must be greater than or equal to 0`).
public struct QuotaViolation: Sendable, Hashable, CustomStringConvertible {
    /// kube-apiserver's cause reasons (`field.ErrorType`).
    public enum Reason: String, Sendable, Hashable {
        case invalid = "FieldValueInvalid"
        case required = "FieldValueRequired"
        case duplicate = "FieldValueDuplicate"
        case forbidden = "FieldValueForbidden"
        case typeInvalid = "FieldValueTypeInvalid"
    }

    /// Path of the field: `spec.min[cpu]`, `spec.namespaces[2]`, `metadata.namespace`.
    public var field: String
    public var reason: Reason
    /// The detail after the field, in kube-apiserver's words (`Invalid value: "x": ...`).
    public var message: String

    public init(field: String, reason: Reason, message: String) {
        self.field = field
        self.reason = reason
        self.message = message
    }

    static func invalid(_ field: String, _ value: String, _ detail: String) -> Self {
        Self(field: field, reason: .invalid, message: "Invalid value: \"\(value)\": \(detail)")
    }

    static func required(_ field: String, _ detail: String) -> Self {
        Self(field: field, reason: .required, message: "Required value: \(detail)")
    }

    static func duplicate(_ field: String, _ value: String) -> Self {
        Self(field: field, reason: .duplicate, message: "Duplicate value: \"\(value)\"")
    }

    static func forbidden(_ field: String, _ detail: String) -> Self {
        Self(field: field, reason: .forbidden, message: "Forbidden: \(detail)")
    }

    static func type(_ field: String, _ found: String, expected: String) -> Self {
        Self(field: field, reason: .typeInvalid, message: "Invalid value: \"\(found)\": \(field) must be of type \(expected)")
    }

    /// `field: message`, as kube-apiserver joins them.
    public var description: String { "\(field): \(message)" }
}
