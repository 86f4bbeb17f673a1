/** What a user is told about a failure: an HTTP status, a title, and a message that says what to do. */
export interface Failure {
  readonly status: number
  readonly code: string
  readonly title: string
  readonly message: string
}

const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : undefined

const reasonOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "reason" in error && typeof error.reason === "string"
    ? error.reason
    : undefined

/**
 * The page a grantflow failure deserves, or undefined for errors that are not grantflow's (they
 * go on to the app's error handler). Messages name no token, code or verifier.
 */
export const describeFailure = (error: unknown): Failure | undefined => {
  const tag = tagOf(error)
  const reason = reasonOf(error)
  const code = reason === undefined ? `${tag}` : `${tag}:${reason}`
  switch (tag) {
    case "AuthorizationDenied":
      return {
        status: 403,
        code,
        title: "Access was not granted",
        message: "The sign-in was cancelled or consent was declined, so nothing was shared with this app.",
      }
    case "InvalidPendingLogin":
      return reason === "Expired"
        ? {
            status: 400,
            code,
            title: "This login expired",
            message: "Logins must be finished within a few minutes, in the browser that started them.",
          }
        : reason === "AlreadyCompleted"
          ? {
              status: 400,
              code,
              title: "This login was already used",
              message: "Each login link works once. Start a new login.",
            }
          : {
              status: 400,
              code,
              title: "This login could not be verified",
              message:
                "The login in progress was altered, or it was started in another browser. For your safety nothing was exchanged.",
            }
    case "StateMismatch":
      return {
        status: 400,
        code,
        title: "This login does not match",
        message:
          "The answer from the sign-in server does not belong to the login this browser started, so it was refused.",
      }
    case "TransportError":
    case "TimeoutError":
    case "RateLimited":
      return {
        status: 503,
        code,
        title: "The sign-in server is unreachable",
        message: "The sign-in server did not answer properly. Try again in a moment.",
      }
    case "ReauthenticationRequired":
    case "NotAuthenticated":
      return {
        status: 401,
        code,
        title: "Please log in again",
        message:
          "Your session has ended (the sign-in server no longer accepts it). Log in again to continue.",
      }
    case "OAuthError":
    case "MalformedResponse":
      return {
        status: 502,
        code,
        title: "The sign-in server refused the login",
        message: "The sign-in server's answer could not be used. Start the login again.",
      }
    case "PersistenceError":
      return {
        status: 500,
        code,
        title: "Your session could not be saved",
        message: "The server could not store your session. Try again in a moment.",
      }
    default:
      return undefined
  }
}
