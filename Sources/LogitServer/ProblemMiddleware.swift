import Hummingbird
import Logging
import LogitAPI
import LogitCore
import LogitRedis
import NIOHTTP1

/// Maps every error to `application/problem+json` once, at the edge: Hummingbird's own errors (unknown route,
/// body too large), Redis being unreachable (503 with `Retry-After`), CSV and parameter errors, and anything
/// unexpected, a stored model that cannot be read back included (a 500 whose detail says nothing internal; the
/// error is logged). Malformed HTTP in a body (a bad chunk) is a 400.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowed: AllowedMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as ProblemError {
            throw problem
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = allowed.methods(for: request.uri.path)
            if allowed.isEmpty {
                throw ProblemError(.notFound, "There is no route \(request.method.rawValue) \(request.uri.path). See GET /docs for the API.")
            }
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            throw ProblemError(
                .methodNotAllowed, "\(request.uri.path) does not accept \(request.method.rawValue); it accepts \(allow).",
                headers: [.allow: allow])
        } catch let error as HTTPError {
            throw ProblemError(error.status, error.body ?? error.status.reasonPhrase, headers: error.headers)
        } catch let error as any HTTPResponseError {
            throw ProblemError(error.status, error.status.reasonPhrase)
        } catch let error as HTTPParserError {
            // The body itself is malformed HTTP (e.g. a bad chunk size): the client's fault, and the connection is
            // unusable after it.
            throw ProblemError(.badRequest, "The request is malformed HTTP: \(error).", headers: [.connection: "close"])
        } catch let error as RedisError {
            context.logger.warning("Redis unavailable", metadata: ["error": "\(error)"])
            throw ProblemError.redisUnavailable(error)
        } catch let error as CSVError {
            throw ProblemError(csv: error)
        } catch let error as ParameterError {
            throw ProblemError(.badRequest, error.description, parameter: error.name)
        } catch let error as CorruptRecordError {
            context.logger.error("A stored model is unreadable", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw ProblemError(.internalServerError, "The stored model is unreadable; the error has been logged.")
        } catch {
            context.logger.error("Unexpected error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw ProblemError(.internalServerError, "An unexpected error occurred; it has been logged.")
        }
    }
}

extension ProblemError {
    static func redisUnavailable(_ error: RedisError) -> ProblemError {
        let reason = error.isAuthenticationFailure ? "Redis refused the credentials" : "Redis is unavailable"
        return ProblemError(.serviceUnavailable, "\(reason); try again shortly. (\(error.message))", headers: [.retryAfter: "1"])
    }

    /// 400 for a malformed body (with `line` and `field`), 413 for one over a limit, 422 for one that is well
    /// formed but cannot be trained on.
    init(csv error: CSVError) {
        let status: HTTPResponse.Status =
            switch error.kind {
            case .empty, .malformed: .badRequest
            case .unusable: .unprocessableContent
            case .tooLarge: .contentTooLarge
            }
        self.init(status, error.description, line: error.line, field: error.field)
    }
}
