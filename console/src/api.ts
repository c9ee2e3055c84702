/**
 * The staxid API, same origin as the page. Every failure becomes an ApiError whose message
 * a person can read; a 401 means the session is over (signed out, or the user was
 * deactivated), and the app returns to the sign-in form.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What to do when the API no longer accepts the session. */
export type OnSessionEnded = (reason: string) => void;

export class Api {
  constructor(
    private readonly accessToken: string,
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
    let response: Response;
    try {
      response = await fetch(`/20190206${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.accessToken}`,
          ...(body !== undefined && { 'Content-Type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError(0, 'staxid cannot be reached: check your connection and try again.');
    }
    if (response.ok) return response;
    const error = await explain(response);
    if (response.status === 401) this.onSessionEnded(error.message);
    throw error;
  }
}

async function explain(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => ({}))) as { Error?: unknown; Cause?: unknown };
  const detail = [body.Error, body.Cause]
    .filter((part) => typeof part === 'string' && part !== '')
    .join(': ');
  switch (response.status) {
    case 401:
      return new ApiError(
        401,
        'Your session has ended (you signed out, it expired, or your user was deactivated): sign in again.',
      );
    case 403:
      return new ApiError(403, `You are not allowed to do this${detail ? `: ${detail}` : '.'}`);
    case 404:
      return new ApiError(404, `Not found${detail ? `: ${detail}` : ': it may have been deleted.'}`);
    case 409:
      return new ApiError(409, `This changed meanwhile${detail ? `: ${detail}` : ''}. Reload and try again.`);
    default:
      if (response.status >= 500) {
        return new ApiError(response.status, 'staxid had a problem answering: try again in a moment.');
      }
      return new ApiError(response.status, detail || `The request was refused (HTTP ${response.status}).`);
  }
}
