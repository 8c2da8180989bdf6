/// The full method names of the contract's services, as they appear in call
/// headers (`/<package>.<Service>/<Method>`). Shared by the server and the clients.
public enum MethodNames {
    public static let listInterviews = "/interviews.v1.Interviews/ListInterviews"
    public static let streamInterviews = "/interviews.v1.Interviews/StreamInterviews"
    public static let getInterview = "/interviews.v1.Interviews/GetInterview"
    public static let createInterview = "/interviews.v1.Interviews/CreateInterview"
    public static let updateInterview = "/interviews.v1.Interviews/UpdateInterview"
    public static let deleteInterview = "/interviews.v1.Interviews/DeleteInterview"
    public static let upsertInterviews = "/interviews.v1.Interviews/UpsertInterviews"
    public static let watchInterviews = "/interviews.v1.Interviews/WatchInterviews"
    public static let health = "/interviews.v1.Interviews/Health"
    public static let serverInfo = "/interviews.v1.Interviews/ServerInfo"
    public static let createKey = "/interviews.v1.Admin/CreateKey"
    public static let listKeys = "/interviews.v1.Admin/ListKeys"
    public static let revokeKey = "/interviews.v1.Admin/RevokeKey"
    public static let backup = "/interviews.v1.Admin/Backup"
}
