/**
 * The staxid API, same origin as the page. Every failure becomes an ApiError whose message
 * a person can read. A 401 first renews the access token once and repeats the request (the
 * token may just have expired); a refused renewal or a second 401 means the session is over
 * (signed out, or the user was deactivated), and the app returns to the sign-in form.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Why the person is back at the sign-in form when the session could not be kept. */
export const SESSION_ENDED =
  'Your session has ended (you signed out, it expired, or your user was deactivated): sign in again.';

/** What to do when the API no longer accepts the session. */
export type OnSessionEnded = (reason: string) => void;

/** The current access token, and a way to renew it (`false`: refused, the session is over). */
export interface Credentials {
  accessToken(): string;
  refresh(): Promise<boolean>;
}

export class Api {
  constructor(
    private readonly credentials: Credentials,
    private readonly onSessionEnded: OnSessionEnded,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('PUT', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('PATCH', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.send<T>('DELETE', path);
  }

  /** A POST answered with a page (the AWS sign-in page), not JSON. */
  async postForPage(path: string, body: unknown): Promise<string> {
    const response = await this.request('POST', path, body);
    return response.text();
  }

  private async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.request(method, path, body);
    return (await response.json()) as T;
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    let response = await this.fetchOnce(method, path, body);
    if (response.status === 401 && (await this.credentials.refresh())) {
      response = await this.fetchOnce(method, path, body);
    }
    if (response.ok) return response;
    const error = await explain(response);
    if (response.status === 401) this.onSessionEnded(error.message);
    throw error;
  }

  private async fetchOnce(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(apiUrl(path), {
        method,
        headers: {
          Authorization: `Bearer ${this.credentials.accessToken()}`,
          ...(body !== undefined && { 'Content-Type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError(0, 'staxid cannot be reached: check your connection and try again.');
    }
  }
}

/**
 * A path of the identity API (`/users/me`) is under `/20190206`; a path that names its own
 * API version (`/20210321/permission-sets`, the permission-sets API) is sent as it is.
 */
function apiUrl(path: string): string {
  return /^\/\d{8}\//.test(path) ? path : `/20190206${path}`;
}

async function explain(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => ({}))) as { Error?: unknown; Cause?: unknown };
  // The permission-sets API answers `{Error: {Code, Message}}`; the identity API `{Error, Cause}`.
  const nested =
    typeof body.Error === 'object' && body.Error !== null ? (body.Error as { Message?: unknown }) : undefined;
  const detail = [nested ? nested.Message : body.Error, body.Cause]
    .filter((part) => typeof part === 'string' && part !== '')
    .join(': ');
  switch (response.status) {
    case 401:
      return new ApiError(401, SESSION_ENDED);
    case 403:
      return new ApiError(403, `You are not allowed to do this${detail ? `: ${detail}` : '.'}`);
    case 404:
      return new ApiError(404, `Not found${detail ? `: ${detail}` : ': it may have been deleted.'}`);
    case 409:
      // A conflict the API explains (a name already taken) is shown as it is; one it does not
      // is a change someone else made meanwhile.
      return new ApiError(409, detail || 'This changed meanwhile: reload and try again.');
    default:
      if (response.status >= 500) {
        return new ApiError(response.status, 'staxid had a problem answering: try again in a moment.');
      }
      return new ApiError(response.status, detail || `The request was refused (HTTP ${response.status}).`);
  }
}
