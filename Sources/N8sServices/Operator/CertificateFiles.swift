import Foundation
import NIOSSL
import Synchronization

/// A TLS certificate chain and private key read from two files (a mounted Secret that
/// cert-manager rewrites), reloaded when either file's bytes change, without a restart.
///
/// Every TLS handshake asks ``current()``, which rereads both files (a few kilobytes) and parses
/// them again only when their bytes differ from the last good pair. A pair that cannot be used
/// (half written, key not matching the format) is ignored and the last good pair kept, with
/// ``lastError`` set, so a rotation in progress never breaks the server.
public final class CertificateFiles: Sendable {
    public let certificatePath: String
    public let keyPath: String

    struct Loaded: Sendable {
        var certificateBytes: [UInt8]
        var keyBytes: [UInt8]
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
    }

    private let state: Mutex<(loaded: Loaded, lastError: String?)>

    /// Reads both files once.
    /// - Throws: ``OperatorError/certificate(_:)`` when they cannot be read or parsed.
    public init(certificatePath: String, keyPath: String) throws(OperatorError) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        let loaded: Loaded
        do { loaded = try Self.load(certificatePath: certificatePath, keyPath: keyPath) } catch { throw .certificate("\(error)") }
        state = Mutex((loaded, nil))
    }

    /// Why the files' latest bytes were not used (`nil`: the last reload, if any, succeeded).
    public var lastError: String? { state.withLock { $0.lastError } }

    /// The chain and key to present now: the files' current content when it parses, else the last good one.
    public func current() -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        let certificateBytes = (try? Array(Data(contentsOf: URL(fileURLWithPath: certificatePath)))) ?? []
        let keyBytes = (try? Array(Data(contentsOf: URL(fileURLWithPath: keyPath)))) ?? []
        let loaded = state.withLock { $0.loaded }
        if certificateBytes == loaded.certificateBytes && keyBytes == loaded.keyBytes { return (loaded.chain, loaded.key) }
        do {
            let fresh = try Self.parse(certificateBytes: certificateBytes, keyBytes: keyBytes)
            state.withLock { $0 = (fresh, nil) }
            return (fresh.chain, fresh.key)
        } catch {
            state.withLock { $0.lastError = "\(error)" }
            return (loaded.chain, loaded.key)
        }
    }

    /// A server configuration presenting ``current()`` on every handshake.
    public func serverConfiguration() -> TLSConfiguration {
        let (chain, key) = current()
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.sslContextCallback = { [self] _, promise in
            let (chain, key) = current()
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = chain.map { .certificate($0) }
            override.privateKey = .privateKey(key)
            promise.succeed(override)
        }
        return configuration
    }

    static func load(certificatePath: String, keyPath: String) throws -> Loaded {
        let certificateBytes = Array(try Data(contentsOf: URL(fileURLWithPath: certificatePath)))
        let keyBytes = Array(try Data(contentsOf: URL(fileURLWithPath: keyPath)))
        return try parse(certificateBytes: certificateBytes, keyBytes: keyBytes)
    }

    static func parse(certificateBytes: [UInt8], keyBytes: [UInt8]) throws -> Loaded {
        let chain = try NIOSSLCertificate.fromPEMBytes(certificateBytes)
        guard !chain.isEmpty else { throw OperatorError.certificate("no certificate in the PEM file") }
        let key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
        return Loaded(certificateBytes: certificateBytes, keyBytes: keyBytes, chain: chain, key: key)
    }
}
