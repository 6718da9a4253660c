/// A form of one button that POSTs to the daemon — "Log out", and the head's actions to come — carrying its
/// hidden fields (the daemon's token against forged requests); every value escaped like the rest of the page.
package struct PostButton: Sendable {
    /// The path it posts to.
    package var action: String
    package var label: String
    package var hiddenFields: [HiddenField]

    package init(action: String, label: String, hiddenFields: [HiddenField]) {
        self.action = action
        self.label = label
        self.hiddenFields = hiddenFields
    }

    var html: String {
        "<form class=\"post\" method=\"post\" action=\"\(escaped(action))\">"
            + hiddenFields.map(\.html).joined()
            + "<button type=\"submit\">\(escaped(label))</button></form>"
    }
}

/// A hidden form field: its name and value.
package struct HiddenField: Sendable, Equatable {
    package let name: String
    package let value: String

    package init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// The input element, its name and value escaped.
    var html: String { "<input type=\"hidden\" name=\"\(escaped(name))\" value=\"\(escaped(value))\">" }
}
