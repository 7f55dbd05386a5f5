// Who is logged in. The session itself is an HttpOnly cookie the page cannot read; /auth/session tells (with a
// 200 for nobody too, where /auth/me's 401 would show as a failed request in the console on every visit).

import { api, setUnauthorizedHandler, unwrap, type Schemas } from "./api/client";

/** The logged-in user, with what the server lets them do beyond their project roles. */
export type CurrentUser = Schemas["CurrentUserPublic"];

class Session {
  user: CurrentUser | null = $state(null);
  /** False until the first /auth/session answered, so the login form does not flash for a logged-in user. */
  checked = $state(false);
  /** Set when a request came back 401 although someone was logged in (the session expired or was revoked). */
  expired = $state(false);

  /** The server lets this user create projects (LABELHUB_PROJECT_CREATORS: everyone, or administrators only). */
  get canCreateProjects(): boolean {
    return this.user?.can_create_projects ?? false;
  }

  async load(): Promise<void> {
    try {
      this.user = (await unwrap(api.GET("/api/v1/auth/session"))).user ?? null;
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
