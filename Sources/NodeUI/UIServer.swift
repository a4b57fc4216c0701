import Foundation
import HTTPTypes
public import Hummingbird
public import Logging

/// The page over HTTP: Hummingbird carries every request to `UIApp` and its answer back.
public enum UIServer {
    /// Bodies of the page's forms are small; anything larger is refused.
    static let maximumBody = 256 * 1024

    public static func buildRouter(app: UIApp) -> Router<BasicRequestContext> {
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var request = request
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            if let authority = request.head.authority { headers["host"] = authority }
            var form: [String: [String]] = [:]
            if request.method == .post {
                let body = try await request.collectBody(upTo: maximumBody)
                form = UIRequest.decodeForm(Array(body.readableBytesView))
            }
            var query: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
            let answer = await app.handle(
                UIRequest(
                    method: request.method.rawValue, path: request.uri.path, query: query, headers: headers, form: form)
            )
            var fields = HTTPFields()
            for (name, value) in answer.headers {
                if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
            }
            return Response(
                status: HTTPResponse.Status(code: answer.status), headers: fields,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        for method in [HTTPRequest.Method.get, .post, .head, .put, .delete, .patch, .options] {
            router.on("/", method: method, use: handler)
            router.on("/**", method: method, use: handler)
        }
        return router
    }

    /// `run` with a logger of its own that says only what is critical (tests serve the page in
    /// process so, and stop it by cancelling, which the server logs as an error).
    public static func run(
        app: UIApp, host: String, port: Int, started: @escaping @Sendable (Int) -> Void
    ) async throws {
        var logger = Logger(label: "tre-node-ui")
        logger.logLevel = .critical
        try await run(app: app, host: host, port: port, logger: logger, started: started)
    }

    /// Serves until the process is stopped (or the task cancelled); `started` is told the port
    /// once listening.
    public static func run(
        app: UIApp, host: String, port: Int, logger: Logger, started: @escaping @Sendable (Int) -> Void
    )
        async throws
    {
        let application = Application(
            router: buildRouter(app: app),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "tre-node"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? port
                app.listening(port: port)
                started(port)
            },
            logger: logger)
        try await application.runService()
    }
}
