import Foundation

/// Receives a query result: the column names, then each row.
package protocol ResultSink: AnyObject {
    func begin(columns: [String]) throws
    func write(row: [QueryValue]) throws
    func end() throws
}

/// How `framewise query` prints a result.
package enum ResultFormat: String, CaseIterable, Sendable {
    /// Aligned columns for people (numbers right-aligned, NULL spelled out).
    case table
    /// RFC 4180: header line, CRLF line ends, fields quoted when they hold `,`, `"`, CR or LF.
    case csv
    /// One JSON array of objects, keys in column order.
    case json
    /// One JSON object per line.
    case jsonl
}

/// Prints a result in a `ResultFormat` through `output`. Streams row by row, except `table`, which needs
/// every row to size its columns.
package final class ResultPrinter: ResultSink {
    private let format: ResultFormat
    private let output: (String) -> Void
    private var columns: [String] = []
    private var tableRows: [[QueryValue]] = []
    private var rowCount = 0
    private var resultsBegun = 0

    package init(format: ResultFormat, output: @escaping (String) -> Void) {
        self.format = format
        self.output = output
    }

    /// Starts a result (a printer may print several one after another, as `framewise db stats` does).
    package func begin(columns: [String]) {
        self.columns = columns
        tableRows = []
        rowCount = 0
        if format == .table, resultsBegun > 0 { output("\n") }
        resultsBegun += 1
        switch format {
        case .csv: output(columns.map(Self.csvField).joined(separator: ",") + "\r\n")
        case .json: output("[")
        case .table, .jsonl: break
        }
    }

    package func write(row: [QueryValue]) {
        defer { rowCount += 1 }
        switch format {
        case .table: tableRows.append(row)
        case .csv: output(row.map { Self.csvField(Self.text(of: $0) ?? "") }.joined(separator: ",") + "\r\n")
        case .json: output((rowCount == 0 ? "\n" : ",\n") + jsonObject(row))
        case .jsonl: output(jsonObject(row) + "\n")
        }
    }

    package func end() {
        switch format {
        case .table: output(table())
        case .json: output(rowCount == 0 ? "]\n" : "\n]\n")
        case .csv, .jsonl: break
        }
    }

    /// The text of a value; nil for NULL. Blobs print as lowercase hex.
    private static func text(of value: QueryValue) -> String? {
        switch value {
        case .null: nil
        case .integer(let integer): String(integer)
        case .real(let real): String(real)
        case .text(let text): text
        case .blob(let data): data.map { String(format: "%02x", $0) }.joined()
        }
    }

    private static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private func jsonObject(_ row: [QueryValue]) -> String {
        let members = zip(columns, row).map { column, value in
            Self.jsonString(column) + ":" + Self.jsonValue(value)
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    private static func jsonValue(_ value: QueryValue) -> String {
        switch value {
        case .integer(let integer): String(integer)
        case .real(let real) where real.isFinite: String(real)
        case .null, .real: "null"
        case .text, .blob: jsonString(text(of: value) ?? "")
        }
    }

    private static func jsonString(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.value < 0x20: escaped += String(format: "\\u%04x", scalar.value)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }

    private func table() -> String {
        let cells = tableRows.map { row in
            row.map { value in
                (Self.text(of: value) ?? "NULL")
                    .replacingOccurrences(of: "\r", with: "\\r")
                    .replacingOccurrences(of: "\n", with: "\\n")
            }
        }
        var widths = columns.map(\.count)
        for row in cells {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        func line(_ row: [String], rightAligned: (Int) -> Bool) -> String {
            row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned(column) ? padding + cell : cell + padding
            }.joined(separator: " | ") + "\n"
        }
        var text = line(columns, rightAligned: { _ in false })
        text += widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-") + "\n"
        for (row, values) in zip(cells, tableRows) {
            text += line(row, rightAligned: { column in
                switch values[column] {
                case .integer, .real: true
                case .null, .text, .blob: false
                }
            })
        }
        text += "(\(tableRows.count) row\(tableRows.count == 1 ? "" : "s"))\n"
        return text
    }
}
