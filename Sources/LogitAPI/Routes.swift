import Foundation

/// The API's paths, written once: the server registers them, the client and the documents build URLs from them.
public enum APIPath {
    public static let models = "/models"
    public static let model = "/models/{id}"
    public static let predict = "/models/{id}/predict"
    /// `?format=` one of `ExportFormat`.
    public static let export = "/models/{id}/export"
    public static let checkStatus = "/check_model_status/{id}"
    /// Metrics of a ready model on a labelled CSV (nothing stored).
    public static let evaluate = "/models/{id}/evaluate"
    /// A name's versions (`{id}` is the name: every route under /models/ names its first segment alike).
    public static let modelVersions = "/models/{id}/versions"
    /// An alias of a name: `PUT` `{"version": N}`, `DELETE`.
    public static let alias = "/models/{id}/aliases/{alias}"
    public static let alive = "/alive"
    public static let healthz = "/healthz"
    public static let readyz = "/readyz"
    public static let metrics = "/metrics"
    public static let openAPI = "/openapi.json"
    public static let docs = "/docs"

    // The dashboard: one page at two paths, and the two files it loads.
    public static let dashboard = "/"
    public static let ui = "/ui"
    public static let uiStyle = "/ui/app.css"
    public static let uiScript = "/ui/app.js"

    // The Open Inference Protocol (KServe v2): its paths, under its own prefix, where errors are `{"error": "…"}`.
    public static let inferenceServer = "/v2"
    public static let inferenceProtocolPrefix = "/v2/"
    public static let inferenceLive = "/v2/health/live"
    public static let inferenceReady = "/v2/health/ready"
    public static let inferenceModel = "/v2/models/{id}"
    public static let inferenceModelReady = "/v2/models/{id}/ready"
    public static let infer = "/v2/models/{id}/infer"

    /// A path pattern with `{id}` filled in.
    public static func filled(_ pattern: String, id: String) -> String { pattern.replacingOccurrences(of: "{id}", with: id) }

    /// `alias` with its name and alias filled in.
    public static func alias(name: String, alias: String) -> String {
        filled(Self.alias, id: name).replacingOccurrences(of: "{alias}", with: alias)
    }
}

/// The headers that name the model that answered a request about a model (its reference resolved).
public enum ModelHeader {
    public static let id = "Logit-Model-ID"
    public static let version = "Logit-Model-Version"
}
