/// Labelled feature vectors: `count` rows of `width` floats (row-major), each row's class an index into
/// `classNames`.
package struct FeatureSet: Sendable {
    package let width: Int
    package let classNames: [String]
    package private(set) var values: [Float]
    package private(set) var labels: [Int]

    package var count: Int { labels.count }
    package var classCount: Int { classNames.count }

    /// Refuses rows of another width, labels outside the classes and values that are not finite.
    package init(width: Int, classNames: [String], values: [Float], labels: [Int]) throws(TrainingError) {
        guard width > 0, values.count == width * labels.count else {
            throw .malformed("\(values.count) values do not make \(labels.count) rows of \(width)")
        }
        if let outside = labels.first(where: { !classNames.indices.contains($0) }) {
            throw .malformed("class \(outside) is not one of the \(classNames.count) classes")
        }
        guard values.allSatisfy(\.isFinite) else { throw .malformed("a feature is not a finite number") }
        self.init(width: width, classNames: classNames, checked: values, labels: labels)
    }

    private init(width: Int, classNames: [String], checked values: [Float], labels: [Int]) {
        self.width = width
        self.classNames = classNames
        self.values = values
        self.labels = labels
    }

    /// The rows at `indices`, in that order.
    package func subset(_ indices: [Int]) -> FeatureSet {
        var values: [Float] = []
        values.reserveCapacity(indices.count * width)
        for index in indices { values += self.values[index * width..<(index + 1) * width] }
        return FeatureSet(width: width, classNames: classNames, checked: values, labels: indices.map { labels[$0] })
    }

    /// How many rows each class has.
    package var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[label] += 1 }
        return counts
    }
}

/// Why training could not start, in one line.
package enum TrainingError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case tooFewClasses(withExamples: [String])
    case tooFewExamples(className: String, count: Int)

    package var description: String {
        switch self {
        case .malformed(let reason): "the examples are malformed: \(reason)"
        case .tooFewClasses(let named):
            "a head needs examples of at least two classes (a class meaning \"none of these\" counts as one); "
                + (named.isEmpty ? "it has none" : "it has only \(named.joined(separator: ", "))")
        case .tooFewExamples(let name, let count):
            "class \(name) has \(count == 0 ? "no" : String(count)) example\(count == 1 ? "" : "s"); each class needs at least 2 to measure accuracy"
        }
    }
}
