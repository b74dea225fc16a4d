export {
  type BackoffPolicy,
  backoffDelay,
  DEFAULT_BACKOFF,
  RETRYABLE_STATUSES,
  retryAfterMs,
} from "./backoff";
export {
  AmbiguousRequestError,
  type ConnectionAttempts,
  ConnectionError,
  type ConnectionFailure,
  HttpError,
} from "./errors";
export { HostLimiter, limiterFor, sleep, type Ticket } from "./limiter";
export { excerpt, MAX_REDACTED_CHARS, REDACTED, redact } from "./redact";
export {
  defaultBackoff,
  defaultTimeoutMs,
  type HttpMethod,
  type HttpRequest,
  type HttpResponse,
  send,
} from "./request";
