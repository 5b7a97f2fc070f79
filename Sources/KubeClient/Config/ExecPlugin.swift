import Foundation
import KubeCore

/// The `ExecCredential` a plugin prints on stdout.
struct ExecCredential: Codable, Sendable {
    var apiVersion: String?
    var kind: String?
    var spec: Spec?
    var status: Status?

    struct Spec: Codable, Sendable {
        var interactive: Bool?
        var cluster: Cluster?
    }

    struct Cluster: Codable, Sendable {
        var server: String
    }

    struct Status: Codable, Sendable {
        var token: String?
        var clientCertificateData: String?
        var clientKeyData: String?
        var expirationTimestamp: Date?
    }
}

/// Runs kubeconfig `exec` credential plugins as kubectl does: `KUBERNETES_EXEC_INFO` carries an
/// `ExecCredential` request of the configured apiVersion; stdout must answer with the same apiVersion.
enum ExecPlugin {
    static let supportedVersions: Set<String> = [
        "client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1",
    ]

    static func run(_ config: ExecConfig, server: URL) async throws(KubeClientError) -> ExecCredential {
        guard supportedVersions.contains(config.apiVersion) else {
            throw .credentials("exec plugin apiVersion \(config.apiVersion) is not supported")
        }
        var request = ExecCredential(apiVersion: config.apiVersion, kind: "ExecCredential", spec: .init(interactive: false))
        if config.provideClusterInfo == true { request.spec?.cluster = .init(server: server.absoluteString) }
        let info: String
        do { info = String(decoding: try KubeJSON.encode(request), as: UTF8.self) } catch {
            throw .credentials("cannot encode ExecCredential: \(error)")
        }
        var environment = ProcessInfo.processInfo.environment
        for variable in config.env ?? [] { environment[variable.name] = variable.value }
        environment["KUBERNETES_EXEC_INFO"] = info

        let output: (status: Int32, stdout: Data, stderr: Data)
        do { output = try await launch(config.command, arguments: config.args ?? [], environment: environment) } catch {
            throw .credentials("cannot run exec plugin \(config.command): \(error)")
        }
        guard output.status == 0 else {
            let message = String(decoding: output.stderr.prefix(512), as: UTF8.self)
            throw .credentials("exec plugin \(config.command) exited with \(output.status): \(message)")
        }
        let credential: ExecCredential
        do { credential = try KubeJSON.decode(ExecCredential.self, from: output.stdout) } catch {
            throw .credentials("exec plugin \(config.command) printed no valid ExecCredential: \(error)")
        }
        guard credential.apiVersion == config.apiVersion else {
            throw .credentials("exec plugin answered apiVersion \(credential.apiVersion ?? "none"), expected \(config.apiVersion)")
        }
        return credential
    }

    private static func launch(_ command: String, arguments: [String], environment: [String: String]) async throws -> (status: Int32, stdout: Data, stderr: Data) {
        let process = Process()
        if command.contains("/") {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [command] + arguments
        }
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        return try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in
                let out = stdout.fileHandleForReading.readDataToEndOfFile()
                let err = stderr.fileHandleForReading.readDataToEndOfFile()
                continuation.resume(returning: (finished.terminationStatus, out, err))
            }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
    }
}
