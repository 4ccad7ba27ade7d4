import ArgumentParser

@main
struct Logit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logit",
        abstract: "Train and serve logistic-regression models over HTTP, with a Redis-backed job queue.",
        subcommands: [Serve.self, Worker.self, Dev.self, Train.self, Status.self, Predict.self, Models.self, Delete.self])
}
