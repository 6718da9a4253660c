import Foundation
package import LabelStore

/// What the daemon's page offers for heads beside its timelines: a form under each appearance's picture that adds
/// the frame to a head's class (POST `/heads/examples`), a "more like this" link (`/similar`), and the links to
/// the heads' pages. `hiddenFields` go into every form (the token against forged requests).
package struct ExampleForms: Sendable {
    /// The heads there are (suggested by the form's head field; a new name makes a new head).
    package var heads: [String]
    /// The hidden inputs every form carries.
    package var hiddenFields: [HiddenField]

    package init(heads: [String], hiddenFields: [HiddenField]) {
        self.heads = heads
        self.hiddenFields = hiddenFields
    }

    /// The links above the page's sections.
    var navigation: String {
        "<nav class=\"heads\"><a href=\"/heads\">Heads (your own classes)</a><datalist id=\"head-names\">"
            + heads.map { "<option value=\"\(escaped($0))\">" }.joined() + "</datalist></nav>\n"
    }

    private var hidden: String { hiddenFields.map(\.html).joined() }

    /// The form and the link under one picture.
    func actions(frameID: Int64, view: String) -> String {
        "<form class=\"example\" method=\"post\" action=\"/heads/examples\">\(hidden)"
            + "<input type=\"hidden\" name=\"frame\" value=\"\(frameID)\"><input type=\"hidden\" name=\"view\" value=\"\(escaped(view))\">"
            + "<input name=\"head\" list=\"head-names\" placeholder=\"head\" required aria-label=\"head\"> "
            + "<input name=\"class\" placeholder=\"class\" required aria-label=\"class\"> <button>add example</button></form>"
            + "<a href=\"/similar?frame=\(frameID)&amp;view=\(escaped(view))\">more like this</a>"
    }
}

/// The daemon's pages about heads: the list, one head (its training report, examples with pictures, train and
/// remove buttons), and the frames most like one. Pure functions of their data, like `ReportRenderer`.
package struct HeadPages: Sendable {
    /// The hidden inputs every form carries (the cross-site request token).
    package var hiddenFields: [HiddenField]

    package init(hiddenFields: [HiddenField]) {
        self.hiddenFields = hiddenFields
    }

    private var hidden: String { hiddenFields.map(\.html).joined() }

    /// `/heads`.
    package func list(_ heads: [HeadSummary]) -> String {
        var body = "<p><a href=\"/\">← the timelines</a></p><h2>Heads</h2>"
        if heads.isEmpty {
            body += "<p class=\"empty\">No heads yet: add an example under any picture of the timelines (a new head name "
                + "makes a head), or use <code>framewise train</code>.</p>"
        } else {
            body += "<table><thead><tr><th>head</th><th>examples</th><th>trained</th><th>runs</th></tr></thead><tbody>"
            for head in heads {
                let examples = head.examplesPerClass.map { "\(escaped($0.0)) \($0.1)" }.joined(separator: ", ")
                let trained = head.latest.map { "version \($0.version): " + String(format: "%.1f%%", $0.accuracy * 100) + " held out" } ?? "not yet"
                body += "<tr><td><a href=\"/heads/\(escaped(head.name))\">\(escaped(head.name))</a></td><td>\(examples)</td>"
                    + "<td>\(trained)</td><td>\(head.runs)</td></tr>"
            }
            body += "</tbody></table>"
        }
        return page("Heads", body)
    }

    /// `/heads/{name}`; `message` is the outcome of the last action (a training, a refusal).
    package func head(_ name: String, latest: HeadVersionRecord?, examples: [StoredHeadExample], message: String?) -> String {
        var body = "<p><a href=\"/heads\">← heads</a> · <a href=\"/\">the timelines</a></p><h2>\(escaped(name))</h2>"
        if let message { body += "<p class=\"note\" id=\"message\">\(escaped(message))</p>" }
        body += "<form method=\"post\" action=\"/heads/\(escaped(name))/train\">\(hidden)<button id=\"train\">train on these "
            + "\(examples.count) examples</button></form>"
        if let latest {
            body += "<h3>Version \(latest.version), trained \(escaped(ISO8601DateFormatter().string(from: latest.trainedAt)))</h3>"
                + "<pre class=\"report\" id=\"report\">\(escaped(latest.report))</pre>"
        } else {
            body += "<p class=\"empty\">Not trained yet.</p>"
        }
        let byClass = Dictionary(grouping: examples, by: \.record.className)
        for className in byClass.keys.sorted() {
            body += "<h3>\(escaped(className)) (\(byClass[className]!.count))</h3><ul class=\"examples\">"
            for example in byClass[className]! {
                let picture = example.record.picture.map {
                    "<img class=\"thumb\" alt=\"\(escaped(className))\" src=\"data:image/jpeg;base64,\($0.base64EncodedString())\">"
                } ?? ""
                body += "<li>\(picture)<br><small>\(escaped(example.record.origin)) · \(escaped(example.record.view))</small>"
                    + "<form method=\"post\" action=\"/heads/\(escaped(name))/examples/\(example.id)/remove\">\(hidden)"
                    + "<button>remove</button></form></li>"
            }
            body += "</ul>"
        }
        return page(name, body)
    }

    /// `/similar`: the frames most like frame `frameID` (each row: id, source, pts, captured_at, score), with
    /// their pictures where they have one, each with the form that adds it to a head's class (`heads`: the names
    /// the form suggests).
    package func similar(to frameID: Int64, view: String, rows: [[QueryValue]], thumbnails: [Int64: StoredThumbnail],
                         heads: [String]) -> String {
        let forms = ExampleForms(heads: heads, hiddenFields: hiddenFields)
        var body = "<p><a href=\"/\">← the timelines</a></p>\(forms.navigation)<h2>Frames most like frame \(frameID) (\(escaped(view)))</h2>"
        if rows.isEmpty { body += "<p class=\"empty\">No stored features to compare with.</p>" }
        body += "<ul class=\"examples\">"
        for row in rows {
            guard let id = row[0].int64 else { continue }
            let picture = thumbnails[id].map {
                "<img class=\"thumb\" alt=\"frame \(id)\" src=\"data:image/jpeg;base64,\($0.jpeg.base64EncodedString())\">"
            } ?? ""
            let score = row[4].double.map { String(format: "%.3f", $0) } ?? ""
            let when = row[3].double.map { TimeText.clock($0) } ?? row[2].double.map(TimeText.offset) ?? ""
            body += "<li>\(picture)<br><small>frame \(id) · \(escaped(row[1].text ?? "")) · \(when) · similarity \(score)</small>"
                + forms.actions(frameID: id, view: view) + "</li>"
        }
        return page("Similar frames", body + "</ul>")
    }

    private func page(_ title: String, _ body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'self'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escaped(title)) · Framewise</title>
        <style>\(ReportRenderer.styleSheet)</style>
        </head><body><header><h1>Framewise</h1></header>
        \(body)
        </body></html>

        """
    }
}
