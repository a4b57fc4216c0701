public import Foundation

/// Where a hub's PostgreSQL store is: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, with
/// optional `?schema=NAME` (the schema holding Tre's tables; default `public`) and
/// `?sslmode=disable|require` (default `disable` on a loopback host, `require` elsewhere).
///
/// The password may be in the URL or, better, in the environment (`PGPASSWORD`): it is never
/// part of `description`, which is what errors, logs and command output show.
public struct PostgresAddress: Sendable, Hashable, CustomStringConvertible {
    public let user: String
    public let password: String?
    public let host: String
    public let port: Int
    public let database: String
    /// The schema of Tre's tables (`search_path`); nil: the server's default (`public`).
    public let schema: String?
    /// TLS to the server: required unless `sslmode=disable` (or a loopback host by default).
    public let requiresTLS: Bool

    /// Parses `text`; `environment` supplies `PGPASSWORD` when the URL has no password.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func malformed(_ why: String) -> StoreAddressError {
            StoreAddressError(
                message: "the store address is not a PostgreSQL URL: \(why)",
                hint: "Give postgres://USER@HOST:PORT/DATABASE (the password in PGPASSWORD, not on the command line).")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw malformed("it cannot be read as a URL")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw malformed("it starts with \"\(scheme.prefix(16)):\", not \"postgres:\"")
        }
        guard let host = components.host, !host.isEmpty else { throw malformed("it names no host") }
        guard let user = components.user, !user.isEmpty else { throw malformed("it names no user (USER@HOST)") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw malformed("it names no database (/DATABASE)") }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw malformed("the port is out of range") }
        var schema: String?
        var tls: Bool?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "schema":
                guard let value = item.value, Self.isIdentifier(value) else {
                    throw malformed("schema must be a plain name (letters, digits, underscores)")
                }
                schema = value
            case "sslmode":
                switch item.value {
                case "disable": tls = false
                case "require", "verify-full": tls = true
                default: throw malformed("sslmode must be disable or require")
                }
            default:
                throw malformed("the option \"\(item.name.prefix(32))\" is unknown (schema and sslmode are known)")
            }
        }
        self.user = user
        self.password = components.password ?? environment["PGPASSWORD"]
        self.host = host
        self.port = port
        self.database = database
        self.schema = schema
        self.requiresTLS = tls ?? !["127.0.0.1", "::1", "localhost"].contains(host)
    }

    /// The address without its password: what may be printed, logged or stored in a message.
    public var description: String {
        var text = "postgres://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
        var options: [String] = []
        if let schema { options.append("schema=\(schema)") }
        if requiresTLS != !["127.0.0.1", "::1", "localhost"].contains(host) {
            options.append("sslmode=\(requiresTLS ? "require" : "disable")")
        }
        if !options.isEmpty { text += "?" + options.joined(separator: "&") }
        return text
    }

    /// A schema name Tre accepts: quoted nowhere, so only what needs no quoting.
    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.utf8.count <= 63 else { return false }
        return (first == "_" || ("a"..."z").contains(first))
            && text.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    /// Whether `text` is meant as a PostgreSQL store address (rather than a file path).
    public static func looksLikeAddress(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }
}

/// A store address that cannot be used, with what to do; never carries the password.
public struct StoreAddressError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public let hint: String
    public var description: String { message }
}
