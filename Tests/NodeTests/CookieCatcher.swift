import Foundation
import TestSupport

/// A server "another user" runs on another port of 127.0.0.1: it answers one page and keeps the
/// headers the browser sent it — among them every cookie of 127.0.0.1, whatever its port.
final class CookieCatcher: @unchecked Sendable {
    let port: Int
    private let socket: Int32
    private let lock = NSLock()
    private var received: [String: String] = [:]
    private let done = DispatchSemaphore(value: 0)

    init() throws {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw HarnessError("no socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
                    && listen(socket, 4) == 0
            }
        }
        guard bound else {
            close(socket)
            throw HarnessError("cannot listen")
        }
        self.socket = socket
        port = Int(UInt16(bigEndian: address.sin_port))
        let listening = socket
        Thread.detachNewThread { [self] in
            let client = accept(listening, nil, nil)
            guard client >= 0 else { return }
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 16_384)
            while data.range(of: Data("\r\n\r\n".utf8)) == nil {
                let count = recv(client, &buffer, buffer.count, 0)
                if count <= 0 { break }
                data.append(contentsOf: buffer[0..<count])
            }
            var headers: [String: String] = [:]
            for line in String(decoding: data, as: UTF8.self).components(separatedBy: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                    in: .whitespaces)
            }
            lock.withLock { received = headers }
            let page = "<!doctype html><title>other</title><p>another user's page"
            let answer =
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: \(page.utf8.count)\r\nConnection: close\r\n\r\n"
                + page
            _ = Array(answer.utf8).withUnsafeBytes { send(client, $0.baseAddress!, $0.count, 0) }
            close(client)
            done.signal()
        }
    }

    /// The headers of the one request, once it came (or empty after `timeout`).
    func headers(timeout: TimeInterval = 15) -> [String: String] {
        _ = done.wait(timeout: .now() + timeout)
        return lock.withLock { received }
    }

    func stop() { close(socket) }
}
