import Foundation

/// `GET /docs`: the OpenAPI document rendered as one self-contained HTML page (no scripts, no network).
enum DocsPage {
    static func html() -> String {
        var body = ""
        for (path, item) in OpenAPIDocument.paths {
            guard case .object(let members) = item else { continue }
            for (method, operation) in members where method != "parameters" {
                guard case .object(let fields) = operation else { continue }
                let summary = fields.first { $0.0 == "summary" }.flatMap { if case .string(let s) = $0.1 { s } else { nil } } ?? ""
                let description = fields.first { $0.0 == "description" }.flatMap { if case .string(let s) = $0.1 { s } else { nil } } ?? ""
                body += "<section><h2><code>\(method.uppercased()) \(escape(path))</code> — \(escape(summary))</h2>"
                if !description.isEmpty { body += "<p>\(escape(description))</p>" }
                if case .array(let parameters)? = fields.first(where: { $0.0 == "parameters" })?.1, !parameters.isEmpty {
                    body += "<table><tr><th>query parameter</th><th>meaning</th></tr>"
                    for case .object(let parameter) in parameters {
                        let name = parameter.first { $0.0 == "name" }.flatMap { if case .string(let s) = $0.1 { s } else { nil } } ?? ""
                        let meaning = parameter.first { $0.0 == "description" }.flatMap { if case .string(let s) = $0.1 { s } else { nil } } ?? ""
                        body += "<tr><td><code>\(escape(name))</code></td><td>\(escape(meaning))</td></tr>"
                    }
                    body += "</table>"
                }
                if case .object(let responses)? = fields.first(where: { $0.0 == "responses" })?.1 {
                    body += "<table><tr><th>status</th><th>when</th></tr>"
                    for (status, response) in responses {
                        guard case .object(let parts) = response else { continue }
                        let text = parts.first { $0.0 == "description" }.flatMap { if case .string(let s) = $0.1 { s } else { nil } } ?? ""
                        body += "<tr><td>\(escape(status))</td><td>\(escape(text))</td></tr>"
                    }
                    body += "</table>"
                }
                body += "</section>\n"
            }
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>logit API</title>
            <style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
            h1{margin-bottom:0}h2{font-size:1.05rem;margin-top:2rem;border-top:1px solid #ddd;padding-top:1rem}
            table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
            code{background:#f4f4f4;padding:0 .2rem}</style></head>
            <body><h1>logit API</h1>
            <p>Train logistic-regression models from headerless CSV (label in the last column) and serve predictions with
            class probabilities. Errors are <code>application/problem+json</code>. Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
            <pre>curl -X POST -H 'Content-Type: text/csv' --data-binary @iris.csv http://127.0.0.1:5000/models
            curl http://127.0.0.1:5000/check_model_status/&lt;id&gt;
            curl -X GET -H 'Content-Type: text/csv' --data-binary '6.9,3.1,5.1,2.3' http://127.0.0.1:5000/models/&lt;id&gt;</pre>
            \(body)
            </body></html>
            """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
