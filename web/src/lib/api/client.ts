// The API client: types generated from the server's OpenAPI schema (schema.d.ts, `make api-client`) and
// openapi-fetch for the calls. Cookie sessions need `X-Requested-With` on every request that changes something.

import createClient, { type Middleware } from "openapi-fetch";
import { ApiError, toProblem } from "./problem";
import type { paths } from "./schema";

export const API = "/api/v1";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

let onUnauthorized: () => void = () => {};

/** Sets what happens when a request comes back 401 (the session ended): the app shows the login screen. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

const session: Middleware = {
  onRequest({ request }) {
    if (UNSAFE.has(request.method)) request.headers.set("X-Requested-With", "labelhub-web");
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && !request.url.endsWith("/auth/login")) onUnauthorized();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(session);

type Result<T> = { data?: T; error?: unknown; response: Response };

/** Awaits an openapi-fetch call and returns its data, or throws an ApiError (status 0: no answer). */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, { detail: err instanceof Error ? err.message : String(err) });
  }
  const { data, error, response } = result;
  if (!response.ok || error !== undefined) throw new ApiError(response.status, toProblem(response.status, error));
  return data as T;
}

/** The URL of an item's thumbnail (a same-origin GET: the session cookie goes with it). */
export function thumbnailUrl(projectId: number, itemId: number, size: 128 | 256 | 512 = 256): string {
  return `${API}/projects/${projectId}/items/${itemId}/thumbnail?size=${size}`;
}

/** The URL of an item's original media file. */
export function mediaUrl(projectId: number, itemId: number): string {
  return `${API}/projects/${projectId}/items/${itemId}/media`;
}

/** The URL an export job's file downloads from. */
export function downloadUrl(jobId: number): string {
  return `${API}/jobs/${jobId}/download`;
}

/** Uploads a file as multipart form data (openapi-fetch sends JSON; this one route takes a form). */
export async function uploadImport(projectId: number, form: FormData): Promise<Job> {
  return unwrap(
    api.POST("/api/v1/projects/{project_id}/uploads", {
      params: { path: { project_id: projectId } },
      // The generated body type describes the form fields; the browser encodes FormData itself.
      body: form as unknown as never,
      bodySerializer: (b: unknown) => b as FormData,
    }),
  );
}

export type Schemas = import("./schema").components["schemas"];
export type User = Schemas["UserPublic"];
export type Project = Schemas["ProjectPublic"];
export type Member = Schemas["MemberPublic"];
export type Item = Schemas["ItemPublic"];
export type Job = Schemas["JobPublic"];
export type JobStatus = Schemas["JobStatus"];
export type Format = Schemas["FormatPublic"];
export type Role = Schemas["Role"];
export type ItemKind = Schemas["ItemKind"];
export type ItemStatus = Schemas["ItemStatus"];
export type AnnotationKind = Schemas["AnnotationKind"];
export type AnnotationState = Schemas["AnnotationState"];
export type Source = Schemas["Source"];
export type LabelClassIn = Schemas["LabelClassIn"];
