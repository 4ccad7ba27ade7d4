import LogitAPI
import LogitCore
import LogitONNX
import LogitRedis

/// The OpenAPI 3.1 description of the API, built in code next to the routes so the two cannot drift apart
/// (a test checks that every served route is documented and every documented one is served).
enum OpenAPIDocument {
    static func build() -> JSONValue {
        .object([
            ("openapi", "3.1.0"),
            (
                "info",
                .object([
                    ("title", "logit"),
                    ("version", .string(version)),
                    (
                        "description",
                        "Train logistic-regression models from headerless CSV (label last) and serve batch predictions with class probabilities. Compatible with the original Flask service's clients."
                    ),
                ])
            ),
            ("paths", .object(paths)),
            ("components", .object([("schemas", .object(schemas))])),
        ])
    }

    /// The API's version, as published here and by the Open Inference Protocol's server metadata.
    static let version = "1.0.0"

    /// Every documented (path, method), for the route check.
    static var operations: [(path: String, method: String)] {
        paths.flatMap { path, item in
            guard case .object(let methods) = item else { return [(path: String, method: String)]() }
            return methods.filter { $0.0 != "parameters" }.map { (path: path, method: $0.0) }
        }
    }

    // MARK: Paths

    /// `?wait=SECONDS` on the status and metadata routes (`ModelController.waitingForChange`).
    static let waitParameter: JSONValue = .object([
        ("name", "wait"), ("in", "query"),
        (
            "description",
            .string(
                "Hold the request up to this many seconds (0 to \(Int(ModelController.longestWait.components.seconds))) until the model's state changes (queued → training → ready or failed); answered at once when the state is ready or failed. Woken by the change, not by polling."
            )
        ),
        (
            "schema",
            .object([("type", "number"), ("minimum", .number(0)), ("maximum", .number(Double(ModelController.longestWait.components.seconds)))])
        ),
    ])

    static let idParameter: JSONValue = .object([
        ("name", "id"), ("in", "path"), ("required", .bool(true)),
        (
            "description",
            "A model: its id (a lowercase UUID returned by POST /models), or a reference to a registered name: `churn` (its newest ready version), `churn@2` (version 2) or `churn@production` (the version the alias points at). Answers name the model that answered (`model_id`, `version`, or the `Logit-Model-ID` and `Logit-Model-Version` headers)."
        ),
        (
            "schema",
            .object([
                ("type", "string"),
                (
                    "pattern",
                    "^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9][a-z0-9._-]{0,63}(@([0-9]+|[a-z][a-z0-9._-]{0,63}))?)$"
                ),
            ])
        ),
    ])

    /// The `{id}` of the registry's routes, which is a name.
    static let nameParameter: JSONValue = .object([
        ("name", "id"), ("in", "path"), ("required", .bool(true)),
        ("description", .string("A registered model name (\(ModelName.rule)), as given to POST /models?name=.")),
        ("schema", .object([("type", "string"), ("pattern", "^[a-z0-9][a-z0-9._-]{0,63}$")])),
    ])

    static let aliasParameter: JSONValue = .object([
        ("name", "alias"), ("in", "path"), ("required", .bool(true)),
        ("description", .string("An alias of the name (\(AliasName.rule)), e.g. production.")),
        ("schema", .object([("type", "string"), ("pattern", "^[a-z][a-z0-9._-]{0,63}$")])),
    ])

    /// The 409 of every route with a model reference: a bare name whose versions are all still training.
    static let noReadyVersion = "a bare name with no ready version yet (name@N answers for each version)."

    static let nameQueryParameter = query("name", "string", "A registered model name (\(ModelName.rule)).")

    static var paths: [(String, JSONValue)] {
        [
            (
                "/models",
                .object([
                    (
                        "post",
                        operation(
                            "Train a model",
                            "Validates the whole CSV, then queues a training job. Nothing is stored when the body is rejected. With name=, the model is the name's next version (1, 2, …, assigned atomically) and the answer gives `name` and `version`.",
                            parameters: trainingParameters + [nameQueryParameter],
                            body: csvBody(
                                "Training rows: features and a label (last by default; see label=), optionally under a header row (see header=).",
                                types: ["text/csv", "text/tab-separated-values"]),
                            responses: [
                                ("201", response("Queued. `Location` is /models/{id}.", schema: "Accepted")),
                                ("400", problem("Malformed CSV (with `line` and `field`) or a bad parameter (with `parameter`).")),
                                ("401", problem("LOGIT_API_TOKEN is set and the bearer token is missing or wrong.")),
                                ("408", problem("The body arrived more slowly than LOGIT_MIN_BODY_RATE allows; the connection is closed.")),
                                ("413", problem("The body, rows, columns or classes exceed a limit.")),
                                ("415", problem("Not `text/csv`: \(OriginalMessages.trainingNotCSV)")),
                                ("422", problem("Fewer than 2 rows or 2 classes.")),
                                (
                                    "503",
                                    problem(
                                        "Redis is unavailable or loading, LOGIT_MAX_INFLIGHT_BODY_BYTES is reached, or fewer replicas than --min-replicas-ack acknowledged the job (see `Retry-After`)."
                                    )
                                ),
                            ])
                    ),
                    (
                        "get",
                        operation(
                            "List models", "Newest first; with name=, that name's versions, newest first.",
                            parameters: [
                                query("limit", "integer", "Page size, 1 to 1000 (default 50)."),
                                query("offset", "integer", "Models to skip (default 0)."), nameQueryParameter,
                            ],
                            responses: [
                                ("200", response("A page of models.", schema: "ModelList")), ("400", problem("Bad limit, offset or name.")),
                                ("503", problem("Redis is unavailable.")),
                            ])
                    ),
                ])
            ),
            (
                "/models/{id}",
                .object([
                    ("parameters", .array([idParameter])),
                    (
                        "get",
                        operation(
                            "Model metadata, or a prediction (the original protocol)",
                            "Without a body and without `Content-Type`: the model's metadata (200). With a `text/csv` body of feature rows: a prediction, answered 202 as the original service does (200 with `status: Model is Training` while queued or training).",
                            parameters: [waitParameter],
                            body: predictionBody("Feature rows (no label column).", required: false),
                            responses: [
                                (
                                    "200",
                                    response(
                                        "Metadata, or `{\"status\": \"Model is Training\"}` for a prediction of an unfinished model.",
                                        anyOf: ["Model", "Status"])
                                ),
                                ("202", response("Predictions.", schema: "Prediction")),
                                (
                                    "400",
                                    problem(
                                        "Malformed or empty CSV, or the wrong number of features (with `line`); or a `wait` that is not 0 to 60 seconds."
                                    )
                                ),
                                ("404", problem(OriginalMessages.modelNotFound)),
                                ("409", problem("Training Failed: the model cannot predict; or \(noReadyVersion)")),
                                ("408", problem("The body arrived too slowly.")),
                                ("413", problem("The body exceeds LOGIT_MAX_PREDICTION_BYTES.")),
                                ("415", problem(OriginalMessages.predictionNotCSV)),
                                ("503", problem("Redis is unavailable, or LOGIT_MAX_INFLIGHT_BODY_BYTES is reached.")),
                            ])
                    ),
                    (
                        "delete",
                        operation(
                            "Delete a model",
                            "Removes the model, its data, its queued job and its index entry (and its place among its name's versions; version numbers are not reused).",
                            responses: [
                                ("204", .object([("description", "Deleted.")])), ("401", problem("Token required.")),
                                ("404", problem(OriginalMessages.modelNotFound)),
                                (
                                    "409",
                                    problem(
                                        "An alias points at this version: the message names it (move or delete the alias first); or \(noReadyVersion)"
                                    )
                                ),
                                ("503", problem("Redis is unavailable.")),
                            ])
                    ),
                ])
            ),
            (
                "/models/{id}/predict",
                .object([
                    ("parameters", .array([idParameter])),
                    (
                        "post",
                        operation(
                            "Predict",
                            "The same as GET /models/{id} with a body, for clients and proxies that drop GET bodies. `Accept: text/csv` answers CSV: a header `label,<class…>`, then one row per input.",
                            parameters: [
                                query(
                                    "passthrough", "string",
                                    "Comma-separated columns of a headered CSV body to copy into CSV output (before the label), e.g. an id.")
                            ],
                            body: predictionBody("Feature rows (no label column)."),
                            responses: [
                                (
                                    "200",
                                    .object([
                                        ("description", "Predictions."),
                                        (
                                            "content",
                                            .object([
                                                ("application/json", .object([("schema", ref("Prediction"))])),
                                                ("text/csv", .object([("schema", .object([("type", "string")]))])),
                                            ])
                                        ),
                                    ])
                                ),
                                ("400", problem("Malformed or empty CSV, or the wrong number of features.")),
                                ("404", problem(OriginalMessages.modelNotFound)),
                                ("409", problem("The model is not ready yet (queued or training; `state` says which), or Training Failed.")),
                                ("408", problem("The body arrived too slowly.")),
                                ("413", problem("Too large.")), ("415", problem(OriginalMessages.predictionNotCSV)),
                                ("503", problem("Redis is unavailable, or LOGIT_MAX_INFLIGHT_BODY_BYTES is reached.")),
                            ])
                    ),
                ])
            ),
            (
                APIPath.export,
                .object([
                    ("parameters", .array([idParameter])),
                    (
                        "get",
                        operation(
                            "Export a ready model",
                            "format=onnx: an ONNX model (opset \(ONNXExport.opsetVersion), IR version \(ONNXExport.irVersion)) that onnxruntime runs: input `\(ExportedTensor.features)` FP64 [N, d] of raw features (the standardization is in the graph), outputs `\(ExportedTensor.label)` (strings) [N] and `\(ExportedTensor.probabilities)` FP64 [N, K]. format=json: the coefficients on the original and the standardized scale, the intercepts, the scaler and the classes (scikit-learn's `coef_`, `intercept_`, `classes_`).",
                            parameters: [
                                .object([
                                    ("name", "format"), ("in", "query"), ("required", .bool(true)), ("description", "What to export."),
                                    ("schema", .object([("type", "string"), ("enum", .array(ExportFormat.allCases.map { .string($0.rawValue) }))])),
                                ])
                            ],
                            responses: [
                                (
                                    "200",
                                    .object([
                                        ("description", "The model."),
                                        (
                                            "content",
                                            .object([
                                                (ExportFormat.json.mediaType, .object([("schema", ref("ModelExport"))])),
                                                (
                                                    ExportFormat.onnx.mediaType,
                                                    .object([
                                                        ("schema", .object([("type", "string"), ("contentMediaType", "application/octet-stream")]))
                                                    ])
                                                ),
                                            ])
                                        ),
                                    ])
                                ),
                                ("400", problem("format is missing or not one of \(ExportFormat.allCases.map(\.rawValue)) (with `parameter`).")),
                                ("404", problem(OriginalMessages.modelNotFound)),
                                ("409", problem("The model is not ready yet (queued or training; `state` says which), or Training Failed.")),
                                ("503", problem("Redis is unavailable.")),
                            ])
                    ),
                ])
            ),
            (
                APIPath.evaluate,
                .object([
                    ("parameters", .array([idParameter])),
                    (
                        "post",
                        operation(
                            "Evaluate a ready model on labelled rows",
                            "The model's accuracy, log-loss, per-class precision, recall and F1, macro F1, confusion matrix (row = true class, column = predicted, in the model's class order) and, for a binary model, ROC AUC, on the rows sent — computed as sklearn.metrics does. The body is read as training reads it (header=, label=, delimiter=); nothing is stored.",
                            parameters: Array(
                                trainingParameters.filter { parameter in
                                    guard case .object(let members) = parameter, let name = members.first(where: { $0.0 == "name" })?.1,
                                        case .string(let text) = name
                                    else { return false }
                                    return CSVFormat.names.contains(text)
                                }),
                            body: csvBody(
                                "Labelled rows, laid out as for training: features and a label (last by default).",
                                types: ["text/csv", "text/tab-separated-values"]),
                            responses: [
                                ("200", response("The metrics.", schema: "Evaluation")),
                                ("400", problem("Malformed CSV (with `line` and `field`), the wrong number of features, or a bad parameter.")),
                                ("404", problem(OriginalMessages.modelNotFound)),
                                ("408", problem("The body arrived too slowly.")),
                                ("409", problem("The model is not ready yet (queued or training; `state` says which), or Training Failed.")),
                                ("413", problem("The body exceeds LOGIT_MAX_TRAINING_BYTES.")),
                                ("415", problem("Not `text/csv` or `text/tab-separated-values`.")),
                                ("422", problem("A label the model does not know, or fewer than 2 rows or 2 classes.")),
                                ("503", problem("Redis is unavailable, or LOGIT_MAX_INFLIGHT_BODY_BYTES is reached.")),
                            ])
                    ),
                ])
            ),
            (
                APIPath.modelVersions,
                .object([
                    ("parameters", .array([nameParameter])),
                    (
                        "get",
                        operation(
                            "A name's versions", "Every version of the name, oldest first, with its state, its fit's metrics and its aliases.",
                            responses: [
                                ("200", response("The versions.", schema: "ModelVersions")),
                                ("404", problem("No model has this name.")), ("503", problem("Redis is unavailable.")),
                            ])
                    ),
                ])
            ),
            (
                APIPath.alias,
                .object([
                    ("parameters", .array([nameParameter, aliasParameter])),
                    (
                        "put",
                        operation(
                            "Point an alias at a version",
                            "Creates or moves the alias; only a ready version. Every API replica follows it at its next request (names are resolved in Redis per request). Needs the API token when one is set.",
                            body: .object([
                                ("description", "The version."), ("required", .bool(true)),
                                (
                                    "content",
                                    .object([
                                        (
                                            "application/json",
                                            .object([
                                                (
                                                    "schema",
                                                    .object([
                                                        ("type", "object"), ("required", .array(["version"])),
                                                        (
                                                            "properties",
                                                            .object([("version", .object([("type", "integer"), ("minimum", .number(1))]))])
                                                        ),
                                                    ])
                                                )
                                            ])
                                        )
                                    ])
                                ),
                            ]),
                            responses: [
                                ("200", response("Where the alias points now.", schema: "AliasAssignment")),
                                ("400", problem("Not {\"version\": N}, or an invalid alias (with `parameter`).")),
                                ("401", problem("Token required.")), ("404", problem("No such name or version.")),
                                ("409", problem("The version is not ready (`state` says what it is).")),
                                ("503", problem("Redis is unavailable.")),
                            ])
                    ),
                    (
                        "delete",
                        operation(
                            "Delete an alias", "The versions stay. Needs the API token when one is set.",
                            responses: [
                                ("204", .object([("description", "Deleted.")])), ("400", problem("An invalid alias.")),
                                ("401", problem("Token required.")), ("404", problem("No such name or alias.")),
                                ("503", problem("Redis is unavailable.")),
                            ])
                    ),
                ])
            ),
            (
                "/check_model_status/{id}",
                .object([
                    ("parameters", .array([idParameter])),
                    ("get", statusOperation),
                    ("post", statusOperation),
                ])
            ),
            (
                "/alive",
                .object([
                    (
                        "get",
                        operation(
                            "Liveness (the original's)", "",
                            responses: [("200", response("`{\"message\": \"Server is alive!\"}`", schema: "Message"))])
                    )
                ])
            ),
            ("/healthz", .object([("get", operation("The process answers", "", responses: [("200", response("OK", schema: "Health"))]))])),
            (
                "/readyz",
                .object([
                    (
                        "get",
                        operation(
                            "Redis answers", "",
                            responses: [("200", response("Ready", schema: "Health")), ("503", problem("Redis does not answer."))])
                    )
                ])
            ),
            (
                APIPath.inferenceServer,
                .object([
                    (
                        "get",
                        operation(
                            "Open Inference Protocol: server metadata", "KServe v2 / Triton: the server's name, version and extensions.",
                            responses: [("200", response("The server.", schema: "InferenceServerMetadata"))])
                    )
                ])
            ),
            (
                APIPath.inferenceLive,
                .object([
                    (
                        "get",
                        operation(
                            "Open Inference Protocol: server live", "KServe v2 / Triton: the process answers.",
                            responses: [("200", response("Live.", schema: "InferenceServerLive"))])
                    )
                ])
            ),
            (
                APIPath.inferenceReady,
                .object([
                    (
                        "get",
                        operation(
                            "Open Inference Protocol: server ready", "KServe v2 / Triton: Redis answers, so models can be read.",
                            responses: [
                                ("200", response("Ready.", schema: "InferenceServerReady")),
                                ("503", inferenceError("Redis does not answer.")),
                            ])
                    )
                ])
            ),
            (
                APIPath.inferenceModel,
                .object([
                    ("parameters", .array([idParameter])),
                    (
                        "get",
                        operation(
                            "Open Inference Protocol: model metadata",
                            "The model's input (`\(ExportedTensor.features)`, FP64 [-1, d]; FP32 is accepted too) and outputs (`\(ExportedTensor.label)` BYTES [-1], `\(ExportedTensor.probabilities)` FP64 [-1, K]), whatever its state.",
                            responses: [
                                ("200", response("The metadata.", schema: "InferenceModelMetadata")),
                                ("404", inferenceError(OriginalMessages.modelNotFound)), ("409", inferenceError(noReadyVersion)),
                                ("503", inferenceError("Redis is unavailable.")),
                            ])
                    ),
                ])
            ),
            (
                APIPath.inferenceModelReady,
                .object([
                    ("parameters", .array([idParameter])),
                    (
                        "get",
                        operation(
                            "Open Inference Protocol: model ready", "200 only when the model can infer.",
                            responses: [
                                ("200", response("Ready.", schema: "InferenceModelReady")),
                                ("404", inferenceError(OriginalMessages.modelNotFound)),
                                ("409", inferenceError("The model is queued or training, or Training Failed.")),
                                ("503", inferenceError("Redis is unavailable.")),
                            ])
                    ),
                ])
            ),
            (
                APIPath.infer,
                .object([
                    ("parameters", .array([idParameter])),
                    (
                        "post",
                        operation(
                            "Open Inference Protocol: infer",
                            "One input `\(ExportedTensor.features)`, FP64 or FP32, shape [n, d], `data` flat or one array per row (or in binary after the JSON, Triton's binary tensor data extension, with `Inference-Header-Content-Length`). Answers `\(ExportedTensor.label)` (BYTES [n]) and `\(ExportedTensor.probabilities)` (FP64 [n, K], columns in class order), or the `outputs` requested, always as JSON; `id` is echoed.",
                            body: .object([
                                ("description", "An inference request."), ("required", .bool(true)),
                                ("content", .object([("application/json", .object([("schema", inferenceRequestSchema)]))])),
                            ]),
                            responses: [
                                ("200", response("The outputs.", schema: "InferenceResponse")),
                                (
                                    "400",
                                    inferenceError("Not an inference request for this model: the message names the input, shape, datatype or output.")
                                ),
                                ("404", inferenceError(OriginalMessages.modelNotFound)),
                                ("408", inferenceError("The body arrived too slowly.")),
                                ("409", inferenceError("The model is queued or training, or Training Failed.")),
                                ("413", inferenceError("The body exceeds LOGIT_MAX_PREDICTION_BYTES.")),
                                ("415", inferenceError("Not application/json, or compressed.")),
                                ("503", inferenceError("Redis is unavailable, or LOGIT_MAX_INFLIGHT_BODY_BYTES is reached.")),
                            ])
                    ),
                ])
            ),
            (
                "/metrics",
                .object([
                    (
                        "get",
                        operation(
                            "Prometheus metrics", "Text exposition format.",
                            responses: [
                                (
                                    "200",
                                    .object([
                                        ("description", "Metrics."),
                                        ("content", .object([("text/plain", .object([("schema", .object([("type", "string")]))]))])),
                                    ])
                                )
                            ])
                    )
                ])
            ),
            (
                "/openapi.json",
                .object([
                    (
                        "get",
                        operation(
                            "This document", "",
                            responses: [
                                (
                                    "200",
                                    .object([
                                        ("description", "OpenAPI 3.1"),
                                        ("content", .object([("application/json", .object([("schema", .object([("type", "object")]))]))])),
                                    ])
                                )
                            ])
                    )
                ])
            ),
            (
                "/docs",
                .object([
                    (
                        "get",
                        operation(
                            "Human-readable documentation", "Works offline.",
                            responses: [
                                (
                                    "200",
                                    .object([
                                        ("description", "HTML"),
                                        ("content", .object([("text/html", .object([("schema", .object([("type", "string")]))]))])),
                                    ])
                                )
                            ])
                    )
                ])
            ),
        ] + DashboardController.openAPIPaths
    }

    static var statusOperation: JSONValue {
        operation(
            "Training status (the original's)", "`Model is Training` (queued or training), `Ready to Use` or `Training Failed`.",
            parameters: [waitParameter],
            responses: [
                ("200", response("The status.", schema: "Status")),
                (
                    "400",
                    problem("`wait` is not a number of seconds from 0 to \(Int(ModelController.longestWait.components.seconds)) (with `parameter`).")
                ),
                ("404", problem(OriginalMessages.modelNotFound)), ("409", problem(noReadyVersion)), ("503", problem("Redis is unavailable.")),
            ])
    }

    static var trainingParameters: [JSONValue] {
        [
            query("C", "number", "Inverse L2 regularization strength (> 0). Default 1.0."),
            .object([
                ("name", "penalty"), ("in", "query"), ("description", "Default l2."),
                ("schema", .object([("type", "string"), ("enum", .array(TrainingParameters.Penalty.allCases.map { .string($0.rawValue) }))])),
            ]),
            query("max_iter", "integer", "Iterations of the solver at most (1 to 1000000). Default 10000."),
            query(
                "tol", "number",
                "Relative objective-gap certificate at which the fit stops. Default: 1e-12 for data of at most 1,000,000 values (rows × features), 1e-6 above."
            ),
            query(
                "learning_rate", "number",
                "A fixed step size instead of the line search; implies solver=fista (solver=cg with learning_rate is rejected with 400)."),
            .object([
                ("name", "solver"), ("in", "query"),
                (
                    "description",
                    "Full-batch first-order method: cg (default; nonlinear conjugate gradient, Polak–Ribière+, with an exact line search along each direction) or fista (accelerated gradient with backtracking). Both reach the same optimum."
                ),
                ("schema", .object([("type", "string"), ("enum", .array(TrainingParameters.Solver.allCases.map { .string($0.rawValue) }))])),
            ]),
            query("fit_intercept", "boolean", "Default true."),
            query("validation_fraction", "number", "Fraction held out (0 ≤ f < 1). Default 0."),
            query("seed", "integer", "Seed of the holdout shuffle. Default 0."),
            .object([
                ("name", "header"), ("in", "query"),
                (
                    "description",
                    "Whether the first row names the columns. auto (default): it does when none of its feature fields is a number. The names are stored and shown, and predictions may then name their columns."
                ),
                ("schema", .object([("type", "string"), ("enum", .array(CSVFormat.Header.allCases.map { .string($0.rawValue) }))])),
            ]),
            query("label", "string", "The label column: last (default, as the original), first, a column name (needs a header), or a 0-based index."),
            .object([
                ("name", "delimiter"), ("in", "query"),
                ("description", "What separates fields. Default comma; a text/tab-separated-values body means tab."),
                ("schema", .object([("type", "string"), ("enum", .array(CSVFormat.Delimiter.allCases.map { .string($0.rawValue) }))])),
            ]),
            .object([
                ("name", "class_weight"), ("in", "query"), ("description", "Default none."),
                ("schema", .object([("type", "string"), ("enum", .array(TrainingParameters.ClassWeight.allCases.map { .string($0.rawValue) }))])),
            ]),
        ]
    }

    // MARK: Schemas

    /// The response documents, each schema derived from its type's examples (`APIResponse`): members and their JSON
    /// types from `example`, required members from `minimalExample`. The schema cannot drift from the type; a test
    /// checks the server's answers against it.
    static var schemas: [(String, JSONValue)] {
        [
            ("Problem", DocumentSchema.of(Problem.self)),
            ("Accepted", DocumentSchema.of(TrainingAccepted.self)),
            ("Status", DocumentSchema.of(StatusResponse.self)),
            ("Message", DocumentSchema.of(AliveMessage.self)),
            ("Health", DocumentSchema.of(HealthStatus.self)),
            ("Prediction", DocumentSchema.of(PredictionResponse.self)),
            ("Model", DocumentSchema.of(ModelMetadata.self)),
            ("ModelList", DocumentSchema.of(ModelListing.self)),
            ("ModelExport", DocumentSchema.of(ModelExport.self)),
            ("ModelVersions", DocumentSchema.of(ModelVersionList.self)),
            ("AliasAssignment", DocumentSchema.of(AliasAssignment.self)),
            ("Evaluation", DocumentSchema.of(ModelEvaluation.self)),
            ("InferenceServerMetadata", DocumentSchema.of(InferenceServerMetadata.self)),
            ("InferenceServerLive", DocumentSchema.of(InferenceServerLive.self)),
            ("InferenceServerReady", DocumentSchema.of(InferenceServerReady.self)),
            ("InferenceModelMetadata", DocumentSchema.of(InferenceModelMetadata.self)),
            ("InferenceModelReady", DocumentSchema.of(InferenceModelReady.self)),
            ("InferenceResponse", DocumentSchema.of(InferenceResponse.self)),
            ("InferenceError", DocumentSchema.of(InferenceError.self)),
        ]
    }

    // MARK: Helpers

    static func operation(
        _ summary: String, _ description: String, parameters: [JSONValue] = [], body: JSONValue? = nil, responses: [(String, JSONValue)]
    ) -> JSONValue {
        var members: [(String, JSONValue)] = [("summary", .string(summary))]
        if !description.isEmpty { members.append(("description", .string(description))) }
        if !parameters.isEmpty { members.append(("parameters", .array(parameters))) }
        if let body { members.append(("requestBody", body)) }
        members.append(("responses", .object(responses)))
        return .object(members)
    }

    static func csvBody(_ description: String, required: Bool = true, types: [String] = ["text/csv"]) -> JSONValue {
        .object([
            ("description", .string(description)), ("required", .bool(required)),
            ("content", .object(types.map { ($0, .object([("schema", .object([("type", "string")]))])) })),
        ])
    }

    /// A prediction body: CSV rows (headerless in feature order, or under a header naming the features in any
    /// order), or JSON instances.
    static func predictionBody(_ description: String, required: Bool = true) -> JSONValue {
        let instances: JSONValue = .object([
            ("type", "object"), ("required", .array(["instances"])),
            (
                "properties",
                .object([
                    (
                        "instances",
                        .object([
                            ("type", "array"),
                            (
                                "items",
                                .object([
                                    (
                                        "oneOf",
                                        .array([
                                            .object([("type", "array"), ("items", .object([("type", "number")]))]),
                                            .object([("type", "object"), ("additionalProperties", .object([("type", "number")]))]),
                                        ])
                                    )
                                ])
                            ),
                        ])
                    )
                ])
            ),
        ])
        return .object([
            (
                "description",
                .string(
                    description
                        + " CSV: headerless in the model's feature order, or under a header naming them in any order. JSON: {\"instances\": [[…], …]} or, for a model with feature names, [{\"name\": value, …}]."
                )
            ), ("required", .bool(required)),
            (
                "content",
                .object([
                    ("text/csv", .object([("schema", .object([("type", "string")]))])),
                    ("application/json", .object([("schema", instances)])),
                ])
            ),
        ])
    }

    static func query(_ name: String, _ type: String, _ description: String) -> JSONValue {
        .object([("name", .string(name)), ("in", "query"), ("description", .string(description)), ("schema", .object([("type", .string(type))]))])
    }

    static func response(_ description: String, schema: String) -> JSONValue {
        .object([("description", .string(description)), ("content", .object([("application/json", .object([("schema", ref(schema))]))]))])
    }

    /// A response that is one document or another. `anyOf`, not `oneOf`: JSON Schema's objects are open, and a
    /// metadata document has every member a status has, so it is valid under both.
    static func response(_ description: String, anyOf schemas: [String]) -> JSONValue {
        .object([
            ("description", .string(description)),
            ("content", .object([("application/json", .object([("schema", .object([("anyOf", .array(schemas.map(ref)))]))]))])),
        ])
    }

    static func problem(_ description: String) -> JSONValue {
        .object([("description", .string(description)), ("content", .object([("application/problem+json", .object([("schema", ref("Problem"))]))]))])
    }

    /// An error of the Open Inference Protocol's routes: `{"error": "…"}`.
    static func inferenceError(_ description: String) -> JSONValue {
        .object([("description", .string(description)), ("content", .object([("application/json", .object([("schema", ref("InferenceError"))]))]))])
    }

    /// `InferenceRequest`: written out, as its `data` may be flat or nested.
    static var inferenceRequestSchema: JSONValue {
        let numbers: JSONValue = .object([("type", "array"), ("items", .object([("type", "number")]))])
        let input: JSONValue = .object([
            ("type", "object"), ("required", .array(["name", "shape", "datatype"])),
            (
                "properties",
                .object([
                    ("name", .object([("type", "string"), ("enum", .array([.string(ExportedTensor.features)]))])),
                    ("shape", .object([("type", "array"), ("items", .object([("type", "integer")]))])),
                    (
                        "datatype",
                        .object([
                            ("type", "string"), ("enum", .array([.string(TensorDatatype.fp64.rawValue), .string(TensorDatatype.fp32.rawValue)])),
                        ])
                    ),
                    ("data", .object([("type", "array"), ("items", .object([("oneOf", .array([.object([("type", "number")]), numbers]))]))])),
                    ("parameters", .object([("type", "object")])),
                ])
            ),
        ])
        let output: JSONValue = .object([
            ("type", "object"), ("required", .array(["name"])),
            (
                "properties",
                .object([
                    ("name", .object([("type", "string"), ("enum", .array(InferenceInput.allOutputs.map { .string($0) }))])),
                    ("parameters", .object([("type", "object")])),
                ])
            ),
        ])
        return .object([
            ("type", "object"), ("required", .array(["inputs"])),
            (
                "properties",
                .object([
                    ("id", .object([("type", "string")])),
                    ("parameters", .object([("type", "object")])),
                    ("inputs", .object([("type", "array"), ("items", input)])),
                    ("outputs", .object([("type", "array"), ("items", output)])),
                ])
            ),
        ])
    }

    static func ref(_ name: String) -> JSONValue { .object([("$ref", .string("#/components/schemas/\(name)"))]) }
}
