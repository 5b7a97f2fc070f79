import ArgumentParser
import Foundation

/// A failure the user can fix, printed as `Error: <description>` without the usage text
/// (`ValidationError` is for wrong flags, where the usage helps).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Reads files named on the command line, with errors that say which file, what it was for,
/// and what is wrong in plain words (not Foundation's error domains). `-` is standard input.
enum InputFile {
    /// - Parameter role: what the file is for, e.g. "snapshot" or "MIG catalog".
    /// - Throws: `ValidationError` naming the role and path: missing, a directory, unreadable.
    static func data(_ path: String, role: String) throws -> Data {
        if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError("cannot read the \(role) file '\(path)': no such file")
        }
        if isDirectory.boolValue { throw CLIError("cannot read the \(role) file '\(path)': it is a directory") }
        guard FileManager.default.isReadableFile(atPath: path), let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read the \(role) file '\(path)': permission denied or not a regular file")
        }
        return data
    }

    /// The file as UTF-8 text. - Throws: as ``data(_:role:)``, or when the bytes are not UTF-8.
    static func text(_ path: String, role: String) throws -> String {
        guard let text = String(data: try data(path, role: role), encoding: .utf8) else {
            throw CLIError("cannot read the \(role) file '\(path)': it is not UTF-8 text")
        }
        return text
    }
}
