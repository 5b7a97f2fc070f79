/// Kubernetes' syntax of label keys and values ("Labels and Selectors", "Syntax and character set"),
/// which selectors must also obey: kube-apiserver refuses `?labelSelector=` text that breaks it; and
/// the names it is built from (RFC 1123 labels and subdomains, qualified-name parts), which other
/// validation (resource names, namespaces) uses too.
public enum LabelSyntax {
    /// A label value: empty, or at most 63 characters of `[A-Za-z0-9_.-]` that begin and end with
    /// an alphanumeric character.
    public static func isValidValue(_ value: some StringProtocol) -> Bool {
        value.isEmpty || isQualifiedNamePart(value)
    }

    /// A label key: an optional DNS-subdomain prefix (at most 253 characters) and `/`, then a name
    /// segment with the rules of ``isValidValue(_:)`` that must not be empty.
    public static func isValidKey(_ key: some StringProtocol) -> Bool {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let name = parts.last, isQualifiedNamePart(name) else { return false }
        return parts.count == 1 || isDNSSubdomain(parts[0])
    }

    /// The name part of a qualified name: `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, at most 63
    /// characters.
    public static func isQualifiedNamePart(_ s: some StringProtocol) -> Bool {
        let bytes = Array(s.utf8)
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        return isAlphanumeric(first) && isAlphanumeric(last)
            && bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// RFC 1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
    public static func isDNSLabel(_ s: some StringProtocol) -> Bool {
        let bytes = Array(s.utf8)
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        func ok(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        return ok(first) && ok(last) && bytes.allSatisfy { ok($0) || $0 == UInt8(ascii: "-") }
    }

    /// RFC 1123 subdomain: dot-separated labels, at most 253 characters.
    public static func isDNSSubdomain(_ s: some StringProtocol) -> Bool {
        s.utf8.count <= 253 && s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel($0) }
    }

    static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }
}
