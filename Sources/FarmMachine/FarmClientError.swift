/// The API refused a machine's call or could not be reached: the HTTP
/// status and the API's error (code and message) or the start of the body.
public struct FarmClientError: Error, CustomStringConvertible {
    public var status: Int
    public var message: String

    public init(status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "API \(status): \(message)" }
}
