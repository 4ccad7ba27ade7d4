/// How a label read from data names one of a model's classes: the same text, or, when both are numbers, the same
/// number (`0` is `0.0`), as training merges numeric labels.
public enum ModelClasses {
    public static func index(of label: String, in classes: [String]) -> Int? {
        if let exact = classes.firstIndex(of: label) { return exact }
        guard let number = Double(label.trimmingSpaces) else { return nil }
        return classes.firstIndex { Double($0.trimmingSpaces) == number }
    }
}
