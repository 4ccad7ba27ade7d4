import Foundation
import HTTPTypes
import Hummingbird
import LogitAPI
import LogitCore
import LogitRedis

/// A route's `{id}` resolved to the one model that answers.
struct ResolvedModel: Sendable {
    let id: ModelID
    /// The reference as the request gave it (`churn@production`), or the id.
    let reference: ModelReference
    /// The version, when the reference named one (a bare id needs no Redis round trip, so its version is not known
    /// here; the documents that read the record carry it).
    let version: Int?

    /// `Logit-Model-ID` and, when known, `Logit-Model-Version`: on every answer about a resolved model, so that even a
    /// prediction or an ONNX file says which model answered.
    var headers: HTTPFields {
        var fields: HTTPFields = [Self.idHeader: id.rawValue]
        if let version { fields[Self.versionHeader] = String(version) }
        return fields
    }

    static let idHeader = HTTPField.Name(ModelHeader.id)!
    static let versionHeader = HTTPField.Name(ModelHeader.version)!
}

/// Where every controller turns a route's `{id}` into a model: `{id}`, `{name}` (the newest ready version),
/// `{name}@{version}` or `{name}@{alias}`. A model id is used as it is, with no Redis round trip (so a cached model
/// still predicts without Redis); a name is resolved in Redis on every request (one script, one round trip), so an
/// alias moved on one replica is followed by every replica at its next request.
struct ModelResolver: Sendable {
    let repository: any ModelRepository

    /// The `{id}` path parameter, resolved. 404 (the original's text) for something that is neither an id nor a
    /// reference; 404 naming what is missing for an unknown name, version or alias; 409 when a bare name has no ready
    /// version yet.
    func resolve(_ context: BasicRequestContext) async throws -> ResolvedModel {
        guard let text = context.pathParameter("id"), let reference = ModelReference(text) else { throw ProblemError.modelNotFound }
        return try await resolve(reference)
    }

    func resolve(_ reference: ModelReference) async throws -> ResolvedModel {
        switch reference {
        case .id(let id):
            return ResolvedModel(id: id, reference: reference, version: nil)
        case .name(let name, let selector):
            switch try await repository.resolve(name, selector) {
            case .found(let id, let version):
                return ResolvedModel(id: id, reference: reference, version: version)
            case .unknownName:
                throw ProblemError.unknownName(name)
            case .unknownVersion:
                guard case .version(let version) = selector else { throw ProblemError.unknownName(name) }
                throw ProblemError(
                    .notFound,
                    "\(OriginalMessages.modelNotFound) \(name) has no version \(version) (see GET \(APIPath.filled(APIPath.modelVersions, id: name.rawValue)))."
                )
            case .unknownAlias:
                guard case .alias(let alias) = selector else { throw ProblemError.unknownName(name) }
                throw ProblemError.unknownAlias(alias, of: name)
            case .noReadyVersion:
                throw ProblemError(
                    .conflict,
                    "\(name) has no ready version yet: ask for one by number (\(name)@1) to see its state (GET \(APIPath.filled(APIPath.modelVersions, id: name.rawValue))).",
                    state: .training)
            }
        }
    }
}

extension ProblemError {
    /// 404 for a name with no version: the original's text, then which name.
    static func unknownName(_ name: ModelName) -> ProblemError {
        ProblemError(.notFound, "\(OriginalMessages.modelNotFound) No model is named \"\(name)\" (train one with POST /models?name=\(name)).")
    }

    static func unknownAlias(_ alias: AliasName, of name: ModelName) -> ProblemError {
        ProblemError(
            .notFound,
            "\(OriginalMessages.modelNotFound) \(name) has no alias \"\(alias)\" (set it with PUT \(APIPath.alias(name: name.rawValue, alias: alias.rawValue)) {\"version\": N})."
        )
    }
}

extension BasicRequestContext {
    /// A path parameter, percent-decoded: clients escape the `@` of `churn@production` (tritonclient sends
    /// `churn%40production`), and the router hands the segment over as it came.
    func pathParameter(_ name: String) -> String? {
        parameters.get(name).map { $0.removingPercentEncoding ?? $0 }
    }
}

extension Response {
    /// This response with the resolved model's headers added.
    func naming(_ model: ResolvedModel) -> Response {
        var response = self
        for field in model.headers { response.headers[field.name] = field.value }
        return response
    }
}
