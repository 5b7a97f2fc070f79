import Crypto
import Foundation
import SwiftASN1
import X509

/// Certificates for serving KubeSim over HTTPS: a throw-away CA, a server certificate it signs
/// for `127.0.0.1`/`localhost`, and client certificates on demand, all P-256 ECDSA and PEM.
///
/// For tests and `n8s sim apiserver --tls` only: the CA key lives in memory and nothing is
/// written to disk unless the caller does so. Validity uses the real wall clock (TLS libraries
/// check it), from one hour ago to ``validity`` ahead.
///
/// As kube-apiserver does, a client certificate names the user in its subject `CN` and the
/// user's groups in `O`.
public struct KubeSimTLS: Sendable {
    /// The CA certificate (PEM): what a kubeconfig puts in `certificate-authority(-data)`.
    public let caCertificatePEM: String
    /// The server's certificate chain (PEM) and private key (PKCS #8 PEM).
    public let serverCertificatePEM: String
    public let serverKeyPEM: String
    /// When `true` the TLS handshake fails without a client certificate signed by the CA
    /// (mutual TLS); when `false` one is checked if presented, and bearer tokens work too.
    public var requiresClientCertificate: Bool

    private let caKeyPEM: String

    /// How long generated certificates stay valid.
    public static let validity: TimeInterval = 7 * 24 * 3600

    /// Generates a fresh CA and server certificate.
    /// - Parameters:
    ///   - hosts: names the server certificate is valid for; IPv4/IPv6 literals become IP SANs.
    ///   - requiresClientCertificate: see ``requiresClientCertificate``.
    /// - Throws: ``KubeSimTLSError`` when a certificate cannot be built or encoded.
    public static func generate(hosts: [String] = ["127.0.0.1", "localhost", "::1"], requiresClientCertificate: Bool = false) throws(KubeSimTLSError) -> KubeSimTLS {
        do {
            let caKey = P256.Signing.PrivateKey()
            let caName = try DistinguishedName { CommonName("kubesim-ca") }
            let ca = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: Certificate.PublicKey(caKey.publicKey),
                notValidBefore: Date().addingTimeInterval(-3600),
                notValidAfter: Date().addingTimeInterval(validity),
                issuer: caName,
                subject: caName,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: Certificate.PublicKey(caKey.publicKey))
                },
                issuerPrivateKey: Certificate.PrivateKey(caKey)
            )
            let names: [GeneralName] = hosts.map { host in
                if let ip = ipAddressBytes(host) { return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(ip))) }
                return .dnsName(host)
            }
            let (serverCert, serverKey) = try issue(
                subject: try DistinguishedName { CommonName("kubesim") },
                usage: .serverAuth,
                names: names,
                caCertificate: ca,
                caKey: caKey
            )
            return KubeSimTLS(
                caCertificatePEM: try ca.serializeAsPEM().pemString,
                serverCertificatePEM: serverCert,
                serverKeyPEM: serverKey,
                requiresClientCertificate: requiresClientCertificate,
                caKeyPEM: caKey.pemRepresentation
            )
        } catch let error as KubeSimTLSError {
            throw error
        } catch {
            throw .generation("\(error)")
        }
    }

    /// A client certificate and key (both PEM) signed by the CA, for user `commonName` in `groups`.
    /// - Throws: ``KubeSimTLSError/generation(_:)`` when it cannot be built.
    public func issueClientCertificate(commonName: String, groups: [String] = []) throws(KubeSimTLSError) -> (certificatePEM: String, keyPEM: String) {
        do {
            let caKey = try P256.Signing.PrivateKey(pemRepresentation: caKeyPEM)
            let ca = try Certificate(pemEncoded: caCertificatePEM)
            let subject = try DistinguishedName {
                for group in groups { OrganizationName(group) }
                CommonName(commonName)
            }
            let issued = try Self.issue(subject: subject, usage: .clientAuth, names: [], caCertificate: ca, caKey: caKey)
            return (issued.0, issued.1)
        } catch {
            throw .generation("\(error)")
        }
    }

    private static func issue(
        subject: DistinguishedName,
        usage: ExtendedKeyUsage.Usage,
        names: [GeneralName],
        caCertificate: Certificate,
        caKey: P256.Signing.PrivateKey
    ) throws -> (String, String) {
        let key = P256.Signing.PrivateKey()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: Date().addingTimeInterval(-3600),
            notValidAfter: Date().addingTimeInterval(validity),
            issuer: caCertificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([usage])
                if !names.isEmpty { SubjectAlternativeNames(names) }
            },
            issuerPrivateKey: Certificate.PrivateKey(caKey)
        )
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    /// The subject `CN` of a DER certificate, as kube-apiserver takes the user name; `nil` when
    /// it has none or is not a certificate.
    static func commonName(derEncoded bytes: [UInt8]) -> String? {
        guard let certificate = try? Certificate(derEncoded: bytes) else { return nil }
        var name: String?
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName { name = String(attribute.value) }
        }
        return name
    }
}

/// Why ``KubeSimTLS`` could not produce certificates or a TLS configuration.
public enum KubeSimTLSError: Error, Sendable, Hashable {
    /// Building, signing or encoding a certificate failed; the text is the underlying error.
    case generation(String)
    /// The PEM material could not be loaded into the TLS library.
    case configuration(String)
}

/// The 4 or 16 bytes of an IPv4 or IPv6 literal (`inet_pton`).
private func ipAddressBytes(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
    return nil
}
