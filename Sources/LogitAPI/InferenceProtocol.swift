/// The Open Inference Protocol (KServe v2, also Triton's HTTP protocol): the documents of its REST routes, as the
/// protocol names their members. A model answers as `name` (the reference in the path, today its model id), with one
/// input tensor, `ExportedTensor.features` (`[-1, d]`, FP64 or FP32), and two outputs, `ExportedTensor.label` (BYTES
/// `[-1]`) and `ExportedTensor.probabilities` (FP64 `[-1, K]`).
public enum InferenceProtocol {
    /// The `platform` of every model's metadata.
    public static let platform = "logit"
    /// What the server supports beyond the protocol's core (Triton's names).
    public static let extensions = ["binary_tensor_data"]
}

/// `GET /v2`: the server's name, version and extensions.
public struct InferenceServerMetadata: APIResponse, Equatable {
    public var name: String
    public var version: String
    public var extensions: [String]

    public init(version: String) {
        self.name = InferenceProtocol.platform
        self.version = version
        self.extensions = InferenceProtocol.extensions
    }

    public static var example: Self { InferenceServerMetadata(version: "1.0.0") }
}

/// A tensor element type of the protocol. Requests may name others; this API answers their names in errors.
public enum TensorDatatype: String, Codable, Sendable, CaseIterable {
    case fp64 = "FP64"
    case fp32 = "FP32"
    case bytes = "BYTES"
}

/// `GET /v2/health/live`.
public struct InferenceServerLive: APIResponse, Equatable {
    public var live: Bool

    public init(live: Bool) { self.live = live }

    public static var example: Self { InferenceServerLive(live: true) }
}

/// `GET /v2/health/ready`: the store answers (a 503 `InferenceError` otherwise).
public struct InferenceServerReady: APIResponse, Equatable {
    public var ready: Bool

    public init(ready: Bool) { self.ready = ready }

    public static var example: Self { InferenceServerReady(ready: true) }
}

/// `GET /v2/models/{id}/ready`: 200 when the model is ready (a 409 `InferenceError` while it is queued or training,
/// or when it failed: the protocol's clients read any status but 200 as "not ready").
public struct InferenceModelReady: APIResponse, Equatable {
    public var name: String
    public var ready: Bool

    public init(name: String, ready: Bool) {
        self.name = name
        self.ready = ready
    }

    public static var example: Self { InferenceModelReady(name: Examples.id, ready: true) }
}

/// A tensor's name, element type and shape (`-1`: any number of rows).
public struct TensorMetadata: Codable, Sendable, Equatable {
    public var name: String
    public var datatype: TensorDatatype
    public var shape: [Int]

    public init(name: String, datatype: TensorDatatype, shape: [Int]) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
    }
}

/// `GET /v2/models/{id}`: the model's inputs and outputs, known from the moment it is queued.
public struct InferenceModelMetadata: APIResponse, Equatable {
    public var name: String
    /// The versions that may be asked for explicitly; absent while models have no versions.
    public var versions: [String]?
    public var platform: String
    public var inputs: [TensorMetadata]
    public var outputs: [TensorMetadata]

    public init(name: String, versions: [String]? = nil, featureCount: Int, classCount: Int) {
        self.name = name
        self.versions = versions
        self.platform = InferenceProtocol.platform
        self.inputs = [TensorMetadata(name: ExportedTensor.features, datatype: .fp64, shape: [-1, featureCount])]
        self.outputs = [
            TensorMetadata(name: ExportedTensor.label, datatype: .bytes, shape: [-1]),
            TensorMetadata(name: ExportedTensor.probabilities, datatype: .fp64, shape: [-1, classCount]),
        ]
    }

    public static var example: Self { InferenceModelMetadata(name: Examples.id, versions: ["1"], featureCount: 4, classCount: 3) }
    public static var minimalExample: Self { InferenceModelMetadata(name: Examples.id, featureCount: 4, classCount: 3) }
}

/// `POST /v2/models/{id}/infer`'s body. Members this API does not use (`parameters`) are ignored.
public struct InferenceRequest: Codable, Sendable, Equatable {
    /// Echoed in the response.
    public var id: String?
    public var inputs: [Input]
    /// The outputs to answer, in this order; all of them when absent.
    public var outputs: [RequestedOutput]?

    public struct Input: Codable, Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        /// Kept as text: a datatype this API does not take is a 400 that names it.
        public var datatype: String
        /// Absent when the data comes in binary (`parameters.binary_data_size`), which this API does not take.
        public var data: TensorData?
        public var parameters: [String: Parameter]?

        public init(name: String, shape: [Int], datatype: String, data: TensorData?, parameters: [String: Parameter]? = nil) {
            self.name = name
            self.shape = shape
            self.datatype = datatype
            self.data = data
            self.parameters = parameters
        }
    }

    public struct RequestedOutput: Codable, Sendable, Equatable {
        public var name: String

        public init(name: String) { self.name = name }
    }

    /// A tensor's numbers in row-major order: flat, or nested one array per row.
    public enum TensorData: Codable, Sendable, Equatable {
        case flat([Double])
        case rows([[Double]])

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flat = try? container.decode([Double].self) {
                self = .flat(flat)
            } else if let rows = try? container.decode([[Double]].self) {
                self = .rows(rows)
            } else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected numbers in row-major order, flat [x, …] or one array per row [[x, …], …]")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .flat(let values): try container.encode(values)
            case .rows(let rows): try container.encode(rows)
            }
        }
    }

    /// A request or input parameter: the protocol allows booleans, numbers and strings.
    public enum Parameter: Codable, Sendable, Equatable {
        case bool(Bool), number(Double), string(String)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else {
                self = .string(try container.decode(String.self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .bool(let value): try container.encode(value)
            case .number(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            }
        }
    }

    public init(id: String? = nil, inputs: [Input], outputs: [RequestedOutput]? = nil) {
        self.id = id
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// `POST /v2/models/{id}/infer` → 200.
public struct InferenceResponse: APIResponse, Equatable {
    public var modelName: String
    /// Absent while models have no versions.
    public var modelVersion: String?
    /// The request's `id`, when it had one.
    public var id: String?
    public var outputs: [Output]

    public struct Output: Codable, Sendable, Equatable {
        public var name: String
        public var datatype: TensorDatatype
        public var shape: [Int]
        public var data: OutputData

        public init(name: String, datatype: TensorDatatype, shape: [Int], data: OutputData) {
            self.name = name
            self.datatype = datatype
            self.shape = shape
            self.data = data
        }
    }

    /// An output's elements, flat in row-major order: strings for BYTES, numbers otherwise.
    public enum OutputData: Codable, Sendable, Equatable {
        case strings([String])
        case numbers([Double])

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let strings = try? container.decode([String].self) {
                self = .strings(strings)
            } else {
                self = .numbers(try container.decode([Double].self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .strings(let values): try container.encode(values)
            case .numbers(let values): try container.encode(values)
            }
        }
    }

    public init(modelName: String, modelVersion: String? = nil, id: String?, outputs: [Output]) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.id = id
        self.outputs = outputs
    }

    /// The outputs of a prediction of `rows` rows: labels, and `probabilities` (`rows × K`, row-major).
    public static func outputs(labels: [String], probabilities: [Double], classCount: Int) -> [Output] {
        [
            Output(name: ExportedTensor.label, datatype: .bytes, shape: [labels.count], data: .strings(labels)),
            Output(name: ExportedTensor.probabilities, datatype: .fp64, shape: [labels.count, classCount], data: .numbers(probabilities)),
        ]
    }

    enum CodingKeys: String, CodingKey {
        case id, outputs
        case modelName = "model_name"
        case modelVersion = "model_version"
    }

    public static var example: Self {
        InferenceResponse(
            modelName: Examples.id, modelVersion: "1", id: "42",
            outputs: outputs(labels: ["virginica"], probabilities: [0.01, 0.2, 0.79], classCount: 3))
    }
    public static var minimalExample: Self {
        InferenceResponse(modelName: Examples.id, id: nil, outputs: outputs(labels: ["virginica"], probabilities: [0.01, 0.2, 0.79], classCount: 3))
    }
}

/// Every error of the protocol's routes (`/v2/…`): its shape, `{"error": "…"}`, with a 4xx (or 503) status.
public struct InferenceError: APIResponse, Equatable, Error {
    public var error: String

    public init(error: String) { self.error = error }

    public static var example: Self { InferenceError(error: "input features: shape [2, 3] has 3 features; the model takes 4") }
}
