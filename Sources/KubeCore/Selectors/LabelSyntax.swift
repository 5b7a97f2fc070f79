/// Kubernetes' syntax of label keys and values ("Labels and Selectors", "Syntax and character set"),
/// which selectors must also obey: kube-apiserver refuses `?labelSelector=` text that breaks it.
public enum LabelSyntax {
    /// A label value: empty, or at most 63 characters of `[A-Za-z0-9_.-]` that begin and end with
    /// an alphanumeric character.
    public static func isValidValue(_ value: some StringProtocol) -> Bool {
        value.isEmpty || isNameSegment(value)
    }

    /// A label key: an optional DNS-subdomain prefix (at most 253 characters) and `/`, then a name
    /// segment with the rules of ``isValidValue(_:)`` that must not be empty.
    public static func isValidKey(_ key: some StringProtocol) -> Bool {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let name = parts.last, isNameSegment(name) else { return false }
        guard parts.count == 2 else { return true }
        let prefix = parts[0]
        return prefix.utf8.count <= 253
            && prefix.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isDNSLabel)
    }

    static func isNameSegment(_ s: some StringProtocol) -> Bool {
        let bytes = Array(s.utf8)
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        return isAlphanumeric(first) && isAlphanumeric(last)
            && bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// RFC 1123 label: lower-case alphanumerics and `-`, at most 63, alphanumeric at both ends.
    static func isDNSLabel(_ s: some StringProtocol) -> Bool {
        let bytes = Array(s.utf8)
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        func ok(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        return ok(first) && ok(last) && bytes.allSatisfy { ok($0) || $0 == UInt8(ascii: "-") }
    }

    static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }
}
