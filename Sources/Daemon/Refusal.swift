import Hummingbird

extension Response {
    /// A refusal: `status` with `line` (and a newline) as its plain-text body.
    static func refusal(_ status: HTTPResponse.Status, _ line: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: line + "\n")))
    }

    /// 303 See Other to `path` (after a form, the browser GETs it).
    static func seeOther(_ path: String) -> Response {
        Response(status: .seeOther, headers: [.location: path])
    }
}
