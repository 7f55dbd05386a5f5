// Who is logged in. The session itself is an HttpOnly cookie the page cannot read; /auth/me tells.

import { api, setUnauthorizedHandler, unwrap, type User } from "./api/client";
import { ApiError } from "./api/problem";

class Session {
  user: User | null = $state(null);
  /** False until the first /auth/me answered, so the login form does not flash for a logged-in user. */
  checked = $state(false);
  /** Set when a request came back 401 although someone was logged in (the session expired or was revoked). */
  expired = $state(false);

  async load(): Promise<void> {
    try {
      this.user = await unwrap(api.GET("/api/v1/auth/me"));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) throw err;
      this.user = null;
    } finally {
      this.checked = true;
    }
  }

  async login(username: string, password: string): Promise<void> {
    this.user = await unwrap(api.POST("/api/v1/auth/login", { body: { username, password } }));
    this.expired = false;
  }

  async logout(): Promise<void> {
    try {
      await unwrap(api.POST("/api/v1/auth/logout"));
    } finally {
      this.user = null;
    }
  }
}

export const session = new Session();

setUnauthorizedHandler(() => {
  if (session.user !== null) session.expired = true;
  session.user = null;
});
