import KubeCore

/// The quota validating webhook's decision, pure: the operator's HTTPS server decodes the
/// AdmissionReview (``AdmissionReview/decodeRequest(_:)``), calls ``review(_:existing:)`` with the
/// quotas it has cached, and sends the response back.
///
/// CREATE and UPDATE of an ElasticQuota or CompositeElasticQuota are checked with
/// ``QuotaValidation`` (the object alone, then its namespaces against `existing`); every other
/// operation is allowed. A request for another kind is denied with a message saying what this
/// webhook validates, so a misconfigured `ValidatingWebhookConfiguration` shows up at once.
public enum QuotaWebhook {
    public static func review(_ request: AdmissionReview.Request, existing: [Quota]) -> AdmissionReview.Response {
        let uid = request.uid
        let kind: QuotaID.Kind
        switch (request.kind.group, request.kind.kind) {
        case (QuotaNames.group, ElasticQuota.kind): kind = .elastic
        case (QuotaNames.group, CompositeElasticQuota.kind): kind = .composite
        default:
            let group = request.kind.group.isEmpty ? "core" : request.kind.group
            return .deny(uid, "this webhook validates ElasticQuota and CompositeElasticQuota (\(QuotaNames.group)), not \(request.kind.kind) (\(group))", code: 400, reason: "BadRequest")
        }
        guard ["CREATE", "UPDATE"].contains(request.operation) else { return .allow(uid) }
        guard let object = request.object, object.objectValue != nil else {
            return .deny(uid, "request.object: Required value: the \(kind.rawValue) to validate", code: 400, reason: "BadRequest")
        }
        let alone = QuotaValidation.validate(object, kind: kind)
        guard alone.isEmpty else { return deny(uid, alone) }
        var quota: Quota
        do {
            switch kind {
            case .elastic: quota = Quota(try KubeJSON.typed(ElasticQuota.self, from: object))
            case .composite: quota = Quota(try KubeJSON.typed(CompositeElasticQuota.self, from: object))
            }
        } catch {
            return .deny(uid, "the \(kind.rawValue) cannot be read: \(error)", code: 400, reason: "BadRequest")
        }
        // On CREATE the object's namespace may be empty: the request's namespace is the one it goes to.
        let namespace = request.namespace ?? quota.id.namespace
        quota.id.namespace = namespace
        if kind == .elastic { quota.namespaces = [namespace] }
        if quota.id.name.isEmpty, let name = request.name { quota.id.name = name }
        let claims = QuotaValidation.validateClaims(of: quota, among: existing)
        return claims.isEmpty ? .allow(uid) : deny(uid, claims)
    }

    /// `field: detail` joined by `; `, as one 403 `Forbidden` denial.
    ///
    /// Not 422 `Invalid`: the API server passes the code and reason through, and kubectl prints an
    /// `Invalid` status without causes as "The request is invalid", hiding the message; a
    /// `Forbidden` one is printed with it (`admission webhook "…" denied the request: spec.max…`).
    static func deny(_ uid: String, _ violations: [QuotaViolation]) -> AdmissionReview.Response {
        .deny(uid, violations.map(\.description).joined(separator: "; "))
    }
}
